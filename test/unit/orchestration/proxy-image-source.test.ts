/**
 * Which machines may make the proxy image themselves: only a Linux sextant (compiled, or
 * SEXTANT_PROXY_BINARY) of this machine's architecture. macOS, Windows, the CLI from source and
 * foreign-architecture binaries take the release archive instead.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localProxyBinary } from "../../../src/orchestration/proxy-image.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function elf(name: string, machine: number): string {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
  h[18] = machine;
  writeFileSync(join(dir, name), h);
  return join(dir, name);
}
const x64 = elf("x64", 62);
const arm = elf("arm64", 183);
const macho = join(dir, "macho");
writeFileSync(macho, new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]));

test("a compiled Linux sextant of this machine's architecture makes the image", () => {
  expect(localProxyBinary({}, { platform: "linux", arch: "x64", compiled: true, executable: x64 })).toEqual({ path: x64, arch: "amd64" });
  expect(localProxyBinary({}, { platform: "linux", arch: "arm64", compiled: true, executable: arm })).toEqual({ path: arm, arch: "arm64" });
});

test("macOS, Windows and the CLI from source do not", () => {
  expect(localProxyBinary({}, { platform: "darwin", arch: "arm64", compiled: true, executable: macho })).toBeUndefined();
  expect(localProxyBinary({}, { platform: "win32", arch: "x64", compiled: true, executable: "C:\\\\sextant.exe" })).toBeUndefined();
  expect(localProxyBinary({}, { platform: "linux", arch: "x64", compiled: false, executable: "/usr/bin/bun" })).toBeUndefined();
});

test("SEXTANT_PROXY_BINARY counts only for this machine's architecture (its libraries are read with ldd)", () => {
  expect(localProxyBinary({ SEXTANT_PROXY_BINARY: x64 }, { platform: "linux", arch: "x64", compiled: false, executable: "/usr/bin/bun" })).toEqual({ path: x64, arch: "amd64" });
  expect(localProxyBinary({ SEXTANT_PROXY_BINARY: arm }, { platform: "linux", arch: "x64", compiled: true, executable: x64 })).toBeUndefined();
  expect(localProxyBinary({ SEXTANT_PROXY_BINARY: macho }, { platform: "linux", arch: "x64", compiled: false, executable: "" })).toBeUndefined();
});
