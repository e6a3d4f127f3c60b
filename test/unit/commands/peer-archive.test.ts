import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchFromPeer, loadIfIntact, removeAfter, removeIfFailed } from "../../../src/commands/peer-archive.ts";

const SHA = "a".repeat(64);

describe("a peer's archive", () => {
  test("fetch: curl or wget, sha256 checked, loaded, file removed; the messages name the archive but not the URL's token", () => {
    expect(fetchFromPeer("http://10.0.0.1:49153/secrettoken", SHA, "/tmp/g", "the proxy image")).toBe(
      "if { curl -fsS --connect-timeout 5 --max-time 600 --retry 3 --retry-connrefused -o /tmp/g http://10.0.0.1:49153/secrettoken || wget -q -T 30 -t 3 -O /tmp/g http://10.0.0.1:49153/secrettoken; }; then " +
        `if [ "$(sha256sum /tmp/g | cut -c1-64)" = ${SHA} ]; then docker load --quiet --input /tmp/g; ` +
        `else echo "the proxy image from http://10.0.0.1:49153/… arrived damaged (sha256 mismatch)" >&2; false; fi; ` +
        `else echo "cannot download the proxy image from a peer (is curl or wget installed?)" >&2; false; fi; s=$?; rm -f /tmp/g; exit $s`,
    );
  });

  test("load only an intact archive; remove the file always, or only on failure", () => {
    expect(loadIfIntact("/tmp/a b", SHA, "the layers")).toBe(
      `if [ "$(sha256sum /tmp/a\\ b | cut -c1-64)" = ${SHA} ]; then docker load --quiet --input /tmp/a\\ b; else echo "the layers arrived damaged (sha256 mismatch)" >&2; false; fi`,
    );
    expect(removeAfter("cat > /tmp/f", "/tmp/f")).toBe("cat > /tmp/f; s=$?; rm -f /tmp/f; exit $s");
    expect(removeIfFailed("cat > /tmp/f", "/tmp/f")).toBe("cat > /tmp/f || { s=$?; rm -f /tmp/f; exit $s; }");
  });

  test("fetch run in sh (curl, wget and docker as stand-ins): loaded when intact, refused when damaged or unreachable, file gone each time", () => {
    const dir = mkdtempSync(join(tmpdir(), "sextant-peer-archive-"));
    const script = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    const run = (sha256: string) => {
      const file = join(dir, "archive");
      const r = spawnSync("sh", ["-c", fetchFromPeer("http://10.0.0.1:1/tok", sha256, file, "the image layers")], { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}` } });
      return { status: r.status, stderr: r.stderr, fileLeft: existsSync(file), loaded: existsSync(join(dir, "loaded")) ? readFileSync(join(dir, "loaded"), "utf8") : undefined };
    };
    try {
      // curl writes "layers" to the file after -o; docker records how it was called.
      script("curl", 'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then printf layers > "$2"; exit 0; fi; shift; done; exit 22');
      script("wget", "exit 4");
      script("docker", `echo "$@" > ${join(dir, "loaded")}`);

      const intact = run(createHash("sha256").update("layers").digest("hex"));
      expect(intact).toEqual({ status: 0, stderr: "", fileLeft: false, loaded: `load --quiet --input ${join(dir, "archive")}\n` });
      rmSync(join(dir, "loaded"));

      expect(run(SHA)).toEqual({ status: 1, stderr: "the image layers from http://10.0.0.1:1/… arrived damaged (sha256 mismatch)\n", fileLeft: false, loaded: undefined });

      script("curl", "exit 7");
      expect(run(SHA)).toEqual({ status: 1, stderr: "cannot download the image layers from a peer (is curl or wget installed?)\n", fileLeft: false, loaded: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
