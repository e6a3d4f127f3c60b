/**
 * A release directory for tests, as scripts/release lays it out but made in seconds: the built
 * Linux executable as sextant-linux-x64, and the amd64 proxy image archive (gzip instead of the
 * release's slow xz; the manifest names the file, so the CLI does not care) with manifest.json and
 * SHA256SUMS. And a plain HTTP server for it on the test bed's bridge.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryDigest, writeProxyImageArchive } from "../../src/proxy-image/build.ts";
import { sharedLibraries } from "../../src/proxy-image/libraries.ts";
import { executableFile } from "../../src/proxy-image/release.ts";
import { writeReleaseIndex } from "../../src/proxy-image/release-write.ts";
import { SEXTANT_VERSION } from "../../src/version.ts";

export const PROXY_IMAGE = `sextant/proxy:v${SEXTANT_VERSION}`;

export async function makeReleaseDir(binary: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "sextant-release-"));
  copyFileSync(binary, join(dir, executableFile("linux-x64")));
  const digest = await binaryDigest(binary, join(dir, ".digest"));
  const imageFile = `sextant-proxy-${SEXTANT_VERSION}-linux-amd64.tar.gz`;
  await writeProxyImageArchive({ binary, libraries: sharedLibraries(binary), tag: PROXY_IMAGE, sextantVersion: SEXTANT_VERSION, arch: "amd64", binaryDigest: digest }, join(dir, imageFile));
  await writeReleaseIndex(dir, {
    version: SEXTANT_VERSION,
    executables: [{ target: "linux-x64", file: executableFile("linux-x64") }],
    proxyImages: [{ arch: "amd64", file: imageFile, image: PROXY_IMAGE, binaryDigest: digest }],
  });
  return dir;
}

/** Serve `dir` over HTTP on the bed's bridge address; counts bytes sent per path. */
export function serveDirectory(dir: string, hostname: string) {
  const sent = new Map<string, number>();
  const server = Bun.serve({
    hostname,
    port: 0,
    async fetch(req) {
      const name = decodeURIComponent(new URL(req.url).pathname.slice(1));
      if (name.includes("/") || name.startsWith(".")) return new Response("not found", { status: 404 });
      const file = Bun.file(join(dir, name));
      if (!(await file.exists())) return new Response("not found", { status: 404 });
      sent.set(name, (sent.get(name) ?? 0) + file.size);
      return new Response(file);
    },
  });
  return { url: `http://${hostname}:${server.port}`, sent, stop: () => server.stop(true) };
}
