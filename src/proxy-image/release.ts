/**
 * What a sextant release consists of, by name: the five executables, the proxy image per Linux
 * architecture as a `docker load` archive, SHA256SUMS and manifest.json. Shared by scripts/release
 * (which writes them), install.sh (same names, in sh) and the CLI (which downloads the proxy image
 * archive when it cannot make one). Pure: names, parsing, no I/O.
 */
import { SEXTANT_VERSION } from "../version.ts";

/** Where releases are published: GitHub release assets, one directory per tag. */
const RELEASE_PAGE = "https://github.com/sextant-deploy/sextant/releases/download";

export const EXECUTABLE_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64"] as const;
export type ExecutableTarget = (typeof EXECUTABLE_TARGETS)[number];
/** Docker's names of the architectures servers run. */
export const IMAGE_ARCHS = ["amd64", "arm64"] as const;
export type ImageArch = (typeof IMAGE_ARCHS)[number];

export const MANIFEST_FILE = "manifest.json";
export const CHECKSUMS_FILE = "SHA256SUMS";

export function executableFile(target: ExecutableTarget): string {
  return target.startsWith("windows-") ? `sextant-${target}.exe` : `sextant-${target}`;
}

/** The Linux executable that goes into the image of a Docker architecture. */
export function linuxTargetOf(arch: ImageArch): ExecutableTarget {
  return arch === "amd64" ? "linux-x64" : "linux-arm64";
}

/**
 * xz: every Docker version's `docker load` reads it without any tool on the server, and it is
 * the smallest of gzip/zstd/xz for this image (see README, "The proxy image"); it is made once per release.
 */
export function proxyImageFile(version: string, arch: ImageArch): string {
  return `sextant-proxy-${version}-linux-${arch}.tar.xz`;
}

export interface ReleaseFile {
  file: string;
  sha256: string;
  size: number;
}

export interface ReleaseManifest {
  name: "sextant";
  version: string;
  executables: (ReleaseFile & { target: ExecutableTarget })[];
  /** `binaryDigest` is the sha256 of the executable inside, also the image's digest label. */
  proxyImages: (ReleaseFile & { arch: ImageArch; image: string; binaryDigest: string })[];
}

/** The release directory for a version: SEXTANT_RELEASE_URL when set, else the release page's tag. */
export function releaseBaseUrl(env: Record<string, string | undefined> = process.env, version: string = SEXTANT_VERSION): string {
  const override = env.SEXTANT_RELEASE_URL?.trim();
  return (override || `${RELEASE_PAGE}/v${version}`).replace(/\/+$/, "");
}

/** `sha256sum` output: "HEX  NAME" (or "HEX *NAME") per line → name → hex. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = line.trim().match(/^([0-9a-f]{64}) [ *](.+)$/i);
    if (match) sums.set(match[2]!, match[1]!.toLowerCase());
  }
  return sums;
}

export function formatChecksums(files: readonly ReleaseFile[]): string {
  return files.map((f) => `${f.sha256}  ${f.file}\n`).join("");
}

/** Read a manifest, refusing anything that does not look like one (a wrong URL serving HTML...). */
export function parseManifest(text: string, where: string): ReleaseManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not a sextant release manifest (not JSON)`);
  }
  const m = data as Partial<ReleaseManifest>;
  if (m?.name !== "sextant" || typeof m.version !== "string" || !Array.isArray(m.proxyImages) || !Array.isArray(m.executables)) {
    throw new Error(`${where} is not a sextant release manifest`);
  }
  for (const image of m.proxyImages) {
    if (!/^[0-9a-f]{64}$/.test(image?.sha256 ?? "") || typeof image.file !== "string" || image.file.includes("/")) {
      throw new Error(`${where}: a proxy image entry has no valid sha256 or file name`);
    }
  }
  return m as ReleaseManifest;
}
