import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { elfArch, elfArchOf } from "../../../src/proxy-image/elf.ts";
import { executableFile, formatChecksums, parseChecksums, parseManifest, proxyImageFile, releaseBaseUrl } from "../../../src/proxy-image/release.ts";
import { parseShareArgs } from "../../../src/proxy-image/share.ts";
import { SEXTANT_VERSION } from "../../../src/version.ts";

const SHA = "b".repeat(64);

describe("release names", () => {
  test("executables and images", () => {
    expect(executableFile("darwin-arm64")).toBe("sextant-darwin-arm64");
    expect(executableFile("windows-x64")).toBe("sextant-windows-x64.exe");
    expect(proxyImageFile("1.2.3", "arm64")).toBe("sextant-proxy-1.2.3-linux-arm64.tar.xz");
  });

  test("the release directory: SEXTANT_RELEASE_URL, else the release page's tag", () => {
    expect(releaseBaseUrl({}, "1.2.3")).toBe("https://github.com/sextant-deploy/sextant/releases/download/v1.2.3");
    expect(releaseBaseUrl({ SEXTANT_RELEASE_URL: "http://10.0.0.1:8000/rel/" })).toBe("http://10.0.0.1:8000/rel");
    expect(releaseBaseUrl({ SEXTANT_RELEASE_URL: "  " }, "1.0.0")).toBe("https://github.com/sextant-deploy/sextant/releases/download/v1.0.0");
  });

  test("SHA256SUMS round trip, text and binary mode lines", () => {
    const text = formatChecksums([{ file: "sextant-linux-x64", sha256: SHA, size: 1 }]);
    expect(text).toBe(`${SHA}  sextant-linux-x64\n`);
    expect(parseChecksums(`${text}${"C".repeat(64)} *sextant-windows-x64.exe\njunk\n`)).toEqual(
      new Map([
        ["sextant-linux-x64", SHA],
        ["sextant-windows-x64.exe", "c".repeat(64)],
      ]),
    );
  });

  test("a manifest is checked before it is trusted", () => {
    const good = { name: "sextant", version: SEXTANT_VERSION, executables: [], proxyImages: [{ arch: "amd64", file: "x.tar.xz", sha256: SHA, size: 1, image: "i", binaryDigest: SHA }] };
    expect(parseManifest(JSON.stringify(good), "m").proxyImages[0]!.file).toBe("x.tar.xz");
    expect(() => parseManifest("<html>", "https://x/manifest.json")).toThrow("https://x/manifest.json is not a sextant release manifest (not JSON)");
    expect(() => parseManifest(JSON.stringify({ ...good, name: "other" }), "m")).toThrow("m is not a sextant release manifest");
    const escaping = { ...good, proxyImages: [{ ...good.proxyImages[0], file: "../../etc/passwd" }] };
    expect(() => parseManifest(JSON.stringify(escaping), "m")).toThrow("no valid sha256 or file name");
  });
});

describe("ELF architecture", () => {
  const header = (machine: number) => {
    const h = new Uint8Array(20);
    h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    h[18] = machine & 0xff;
    h[19] = machine >> 8;
    return h;
  };
  test("x86-64 and aarch64; anything else is unknown", () => {
    expect(elfArchOf(header(62))).toBe("amd64");
    expect(elfArchOf(header(183))).toBe("arm64");
    expect(elfArchOf(header(243))).toBeUndefined(); // riscv
    expect(elfArchOf(new TextEncoder().encode("MZ\x90\x00 a windows exe....."))).toBeUndefined();
  });
  test("read from a file; a missing file is unknown", () => {
    const dir = mkdtempSync(join(tmpdir(), "sextant-elf-"));
    try {
      writeFileSync(join(dir, "bin"), header(183));
      expect(elfArch(join(dir, "bin"))).toBe("arm64");
      expect(elfArch(join(dir, "missing"))).toBeUndefined();
      expect(elfArch("/bin/sh")).toBe(process.arch === "arm64" ? "arm64" : "amd64");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("proxy-image-share arguments", () => {
  test("file, token, downloads, timeout", () => {
    expect(parseShareArgs(["/share/image", "--token", "0123456789abcdef0123", "--downloads", "4", "--timeout", "60"])).toEqual({
      file: "/share/image",
      token: "0123456789abcdef0123",
      downloads: 4,
      timeoutSeconds: 60,
      port: 8080,
    });
    expect(() => parseShareArgs(["/share/image", "--token", "short"])).toThrow("usage:");
    expect(() => parseShareArgs(["/share/image", "--bogus"])).toThrow("unknown argument --bogus");
  });
});
