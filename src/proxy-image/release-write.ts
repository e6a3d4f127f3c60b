/**
 * Writes a release directory's index: manifest.json (what each file is, its sha256 and size) and
 * SHA256SUMS (for `sha256sum -c` and install.sh). Used by scripts/release and the tests that serve
 * a release directory of their own.
 */
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256OfFile } from "./build.ts";
import { CHECKSUMS_FILE, type ExecutableTarget, formatChecksums, type ImageArch, MANIFEST_FILE, type ReleaseFile, type ReleaseManifest } from "./release.ts";

export interface ReleaseContents {
  version: string;
  executables: { target: ExecutableTarget; file: string }[];
  proxyImages: { arch: ImageArch; file: string; image: string; binaryDigest: string }[];
}

async function describe(dir: string, file: string): Promise<ReleaseFile> {
  const path = join(dir, file);
  return { file, sha256: await sha256OfFile(path), size: statSync(path).size };
}

export async function writeReleaseIndex(dir: string, contents: ReleaseContents): Promise<ReleaseManifest> {
  const manifest: ReleaseManifest = {
    name: "sextant",
    version: contents.version,
    executables: await Promise.all(contents.executables.map(async (e) => ({ target: e.target, ...(await describe(dir, e.file)) }))),
    proxyImages: await Promise.all(contents.proxyImages.map(async (p) => ({ arch: p.arch, image: p.image, binaryDigest: p.binaryDigest, ...(await describe(dir, p.file)) }))),
  };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, CHECKSUMS_FILE), formatChecksums([...manifest.executables, ...manifest.proxyImages]));
  return manifest;
}
