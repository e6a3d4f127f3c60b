/**
 * The released proxy image archive for a server architecture, for when this sextant cannot make
 * one (macOS, Windows, the CLI from source, another architecture): downloaded once from the release
 * directory into the user's cache, checked against the sha256 in the release's manifest.json,
 * and reused while it still matches. A release directory is an http(s) URL or a local path.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { SEXTANT_VERSION } from "../version.ts";
import { sha256OfFile } from "./build.ts";
import { type ImageArch, MANIFEST_FILE, parseManifest, type ReleaseManifest } from "./release.ts";

export interface ReleaseArchive {
  path: string;
  sha256: string;
  size: number;
  /** sha256 of the executable in the image (its digest label). */
  binaryDigest: string;
  /** Where it came from, for messages. */
  url: string;
}

/** A download that failed or did not verify; `tampered` when the bytes arrived but are wrong. */
export class ReleaseFetchError extends Error {
  constructor(
    message: string,
    readonly tampered = false,
  ) {
    super(message);
  }
}

function isRemote(base: string): boolean {
  return /^https?:\/\//i.test(base);
}

function localPath(base: string, file: string): string {
  return join(base.startsWith("file:") ? fileURLToPath(base) : base, file);
}

async function readText(base: string, file: string): Promise<string> {
  if (!isRemote(base)) return readFileSync(localPath(base, file), "utf8");
  const response = await fetch(`${base}/${file}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new ReleaseFetchError(`${base}/${file}: HTTP ${response.status}`);
  return response.text();
}

/** Copy or download `file` to `dest`, returning the sha256 of what was written. */
async function download(base: string, file: string, dest: string): Promise<string> {
  const hash = createHash("sha256");
  let source: AsyncIterable<Uint8Array>;
  if (isRemote(base)) {
    const response = await fetch(`${base}/${file}`, { signal: AbortSignal.timeout(30 * 60_000) });
    if (!response.ok || !response.body) throw new ReleaseFetchError(`${base}/${file}: HTTP ${response.status}`);
    source = response.body as unknown as AsyncIterable<Uint8Array>;
  } else {
    source = createReadStream(localPath(base, file), { highWaterMark: 1 << 20 });
  }
  const hashing = async function* () {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
  await pipeline(Readable.from(hashing()), createWriteStream(dest));
  return hash.digest("hex");
}

/** Cached per release directory, so two release URLs never mix. */
function cacheFor(cacheDir: string, base: string): string {
  return join(cacheDir, "releases", `${SEXTANT_VERSION}-${createHash("sha256").update(base).digest("hex").slice(0, 12)}`);
}

async function releaseManifest(base: string): Promise<ReleaseManifest> {
  let text: string;
  try {
    text = await readText(base, MANIFEST_FILE);
  } catch (error) {
    if (error instanceof ReleaseFetchError) throw error;
    throw new ReleaseFetchError(`cannot read ${base}/${MANIFEST_FILE}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const manifest = parseManifest(text, `${base}/${MANIFEST_FILE}`);
  if (manifest.version !== SEXTANT_VERSION) {
    throw new ReleaseFetchError(`${base} holds sextant ${manifest.version}, but this is sextant ${SEXTANT_VERSION}`);
  }
  return manifest;
}

export async function releaseProxyImage(arch: ImageArch | string, options: { base: string; cacheDir: string; onDownload?: (url: string, bytes: number) => void }): Promise<ReleaseArchive> {
  const { base } = options;
  const dir = cacheFor(options.cacheDir, base);
  const cachedManifest = join(dir, MANIFEST_FILE);
  // A cached manifest and archive that still match are used without touching the network.
  let manifest: ReleaseManifest | undefined;
  if (existsSync(cachedManifest)) {
    try {
      manifest = parseManifest(readFileSync(cachedManifest, "utf8"), cachedManifest);
    } catch {
      manifest = undefined;
    }
  }
  const entryIn = (m: ReleaseManifest | undefined) => m?.proxyImages.find((image) => image.arch === arch);
  let entry = entryIn(manifest);
  if (entry && existsSync(join(dir, entry.file)) && (await sha256OfFile(join(dir, entry.file))) === entry.sha256) {
    return { path: join(dir, entry.file), sha256: entry.sha256, size: entry.size, binaryDigest: entry.binaryDigest, url: `${base}/${entry.file}` };
  }
  manifest = await releaseManifest(base);
  entry = entryIn(manifest);
  if (!entry) throw new ReleaseFetchError(`${base}/${MANIFEST_FILE} has no proxy image for linux/${arch}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(cachedManifest, JSON.stringify(manifest, null, 2));
  const url = `${base}/${entry.file}`;
  const dest = join(dir, entry.file);
  const partial = `${dest}.${process.pid}.partial`;
  options.onDownload?.(url, entry.size);
  try {
    let actual: string;
    try {
      actual = await download(base, entry.file, partial);
    } catch (error) {
      if (error instanceof ReleaseFetchError) throw error;
      throw new ReleaseFetchError(`cannot download ${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (actual !== entry.sha256) {
      throw new ReleaseFetchError(`${url} does not match its sha256 in ${MANIFEST_FILE} (expected ${entry.sha256.slice(0, 16)}…, got ${actual.slice(0, 16)}…)`, true);
    }
    renameSync(partial, dest);
  } finally {
    rmSync(partial, { force: true });
  }
  return { path: dest, sha256: entry.sha256, size: entry.size, binaryDigest: entry.binaryDigest, url };
}
