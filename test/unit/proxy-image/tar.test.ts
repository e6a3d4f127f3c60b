import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLdd } from "../../../src/proxy-image/libraries.ts";
import { type TarEntry, tarChunks } from "../../../src/proxy-image/tar.ts";

async function writeTar(entries: TarEntry[], path: string) {
  const parts: Uint8Array[] = [];
  for await (const chunk of tarChunks(entries)) parts.push(chunk);
  writeFileSync(path, Buffer.concat(parts));
}

test("GNU tar reads what the writer writes: modes, owners, symlinks, long paths, streamed files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sextant-tar-"));
  try {
    const source = join(dir, "source.bin");
    writeFileSync(source, Buffer.alloc(1500, 7));
    const longPath = `${"a".repeat(60)}/${"b".repeat(60)}/file.txt`;
    await writeTar(
      [
        { type: "dir", path: "tmp", mode: 0o1777 },
        { type: "dir", path: "home/app", uid: 1000, gid: 1000 },
        { type: "file", path: "etc/passwd", content: new TextEncoder().encode("root:x:0:0::/root:/bin/sh\n") },
        { type: "file-from-disk", path: "usr/bin/tool", mode: 0o755, source, size: 1500 },
        { type: "symlink", path: "usr/bin/alias", target: "tool" },
        { type: "file", path: longPath, content: new TextEncoder().encode("deep\n") },
      ],
      join(dir, "out.tar"),
    );
    const listing = execFileSync("tar", ["-tvf", join(dir, "out.tar"), "--numeric-owner"], { encoding: "utf8" });
    expect(listing).toMatch(/^drwxrwxrwt 0\/0 +0 .* tmp\/$/m);
    expect(listing).toMatch(/^drwxr-xr-x 1000\/1000 +0 .* home\/app\/$/m);
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 +1500 .* usr\/bin\/tool$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* usr\/bin\/alias -> tool$/m);
    expect(listing).toContain(longPath);
    execFileSync("tar", ["-xf", join(dir, "out.tar"), "-C", dir]);
    expect(readFileSync(join(dir, "usr/bin/tool"))).toEqual(Buffer.alloc(1500, 7));
    expect(readFileSync(join(dir, longPath), "utf8")).toBe("deep\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("parseLdd keeps resolved libraries and the interpreter, once each", () => {
  const output = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6f)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f6f)",
    "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f6f)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6f)",
  ].join("\n");
  expect(parseLdd(output)).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libm.so.6"]);
});
