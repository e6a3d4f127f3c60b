/**
 * The default proxy image is this very binary: a layer with the sextant executable (also reachable
 * as `kamal-proxy`), the few shared libraries it links and kamal-proxy's home layout, written as a
 * `docker load` archive. No registry and no base image are needed; the archive is cached per binary.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type TarEntry, tarChunks } from "./tar.ts";

/** Kamal finds and prunes the proxy container's image by this label. */
const PROXY_IMAGE_TITLE = "kamal-proxy";
export const BINARY_DIGEST_LABEL = "dev.sextant.binary-digest";
const PROXY_UID = 1000;

export interface ProxyImageSpec {
  /** A Linux executable of sextant. */
  binary: string;
  /**
   * Shared libraries and the ELF interpreter it needs: absolute paths on this machine, or (for
   * another architecture's libraries unpacked from its packages) where to read each and its path in the image.
   */
  libraries: (string | { source: string; path: string })[];
  /** e.g. sextant/proxy:v0.1.0 */
  tag: string;
  sextantVersion: string;
  /** Docker's architecture name: amd64, arm64. */
  arch: string;
  /** sha256 of the binary (hex), recorded as a label so servers can tell an outdated image. */
  binaryDigest: string;
}

const encoder = new TextEncoder();

/** Every parent directory of the paths, shallowest first, as tar entries. */
function parentDirs(paths: string[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...dirs].sort().map((path) => ({ type: "dir", path }));
}

function library(lib: string | { source: string; path: string }): { source: string; path: string } {
  return typeof lib === "string" ? { source: lib, path: lib.replace(/^\/+/, "") } : { source: lib.source, path: lib.path.replace(/^\/+/, "") };
}

function layerEntries(spec: ProxyImageSpec): TarEntry[] {
  const libs = spec.libraries.map((lib) => library(lib).path);
  const passwd = `root:x:0:0:root:/root:/sbin/nologin\nkamal-proxy:x:${PROXY_UID}:${PROXY_UID}::/home/kamal-proxy:/sbin/nologin\n`;
  const group = `root:x:0:\nkamal-proxy:x:${PROXY_UID}:\n`;
  return [
    ...parentDirs(["usr/local/bin/sextant", "etc/passwd", ...libs]),
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "home" },
    { type: "dir", path: "home/kamal-proxy", uid: PROXY_UID, gid: PROXY_UID },
    { type: "dir", path: "home/kamal-proxy/.config", uid: PROXY_UID, gid: PROXY_UID },
    // The state volume (kamal-proxy-config) is mounted here; a new volume takes this owner and mode.
    { type: "dir", path: "home/kamal-proxy/.config/kamal-proxy", mode: 0o700, uid: PROXY_UID, gid: PROXY_UID },
    { type: "dir", path: "home/kamal-proxy/.apps-config", uid: PROXY_UID, gid: PROXY_UID },
    { type: "file", path: "etc/passwd", content: encoder.encode(passwd) },
    { type: "file", path: "etc/group", content: encoder.encode(group) },
    { type: "file-from-disk", path: "usr/local/bin/sextant", mode: 0o755, source: spec.binary, size: statSync(spec.binary).size },
    { type: "symlink", path: "usr/local/bin/kamal-proxy", target: "sextant" },
    ...spec.libraries.map(library).map(
      (lib): TarEntry => ({
        type: "file-from-disk",
        path: lib.path,
        mode: 0o755,
        source: lib.source,
        size: statSync(lib.source).size,
      }),
    ),
  ];
}

function imageConfig(spec: ProxyImageSpec, layerDigest: string): string {
  return JSON.stringify({
    architecture: spec.arch,
    os: "linux",
    config: {
      User: `${PROXY_UID}:${PROXY_UID}`,
      // Targets are container ids resolved by Docker's DNS, and a restarted container (`app start`)
      // may come back on another address: no DNS cache in the proxy (kamal-proxy has none either).
      Env: ["PATH=/usr/local/bin", "HOME=/home/kamal-proxy", "BUN_CONFIG_DNS_TIME_TO_LIVE_SECONDS=0"],
      Cmd: ["kamal-proxy", "run"],
      WorkingDir: "/home/kamal-proxy",
      ExposedPorts: { "80/tcp": {}, "443/tcp": {} },
      Labels: {
        "org.opencontainers.image.title": PROXY_IMAGE_TITLE,
        "org.opencontainers.image.version": spec.sextantVersion,
        "org.opencontainers.image.description": "sextant's reverse proxy (kamal-proxy compatible)",
        [BINARY_DIGEST_LABEL]: spec.binaryDigest,
      },
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
    history: [{ created_by: `sextant ${spec.sextantVersion} proxy image` }],
  });
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Write the layer tar to `path`, returning its sha256 (the image's diff id). */
async function writeLayer(spec: ProxyImageSpec, path: string): Promise<string> {
  const hash = createHash("sha256");
  const hashing = async function* () {
    for await (const chunk of tarChunks(layerEntries(spec))) {
      hash.update(chunk);
      yield chunk;
    }
  };
  await pipeline(Readable.from(hashing()), createWriteStream(path));
  return hash.digest("hex");
}

/**
 * Write a `docker load` archive for the spec to `outPath` (atomically: a partial archive is never
 * left under the final name), gzipped unless `compression` is "none" (scripts/release compresses with xz).
 */
export async function writeProxyImageArchive(spec: ProxyImageSpec, outPath: string, compression: "gzip" | "none" = "gzip"): Promise<void> {
  mkdirSync(dirname(outPath), { recursive: true });
  // Per-process scratch names: two deploys may build the same archive at once.
  const work = `${outPath}.${process.pid}.work`;
  mkdirSync(work, { recursive: true });
  try {
    const layerPath = join(work, "layer.tar");
    const layerDigest = await writeLayer(spec, layerPath);
    const config = encoder.encode(imageConfig(spec, layerDigest));
    const configDigest = createHash("sha256").update(config).digest("hex");
    const manifest = [{ Config: `${configDigest}.json`, RepoTags: [spec.tag], Layers: [`${layerDigest}/layer.tar`] }];
    const archive: TarEntry[] = [
      { type: "file", path: `${configDigest}.json`, content: config },
      { type: "dir", path: layerDigest },
      { type: "file-from-disk", path: `${layerDigest}/layer.tar`, source: layerPath, size: statSync(layerPath).size },
      { type: "file", path: "manifest.json", content: encoder.encode(JSON.stringify(manifest)) },
    ];
    const partial = `${outPath}.${process.pid}.partial`;
    if (compression === "gzip") await pipeline(Readable.from(tarChunks(archive)), createGzip({ level: 3 }), createWriteStream(partial));
    else await pipeline(Readable.from(tarChunks(archive)), createWriteStream(partial));
    renameSync(partial, outPath);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Where built archives are kept between runs. */
export function cacheDirectory(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sextant");
}

/**
 * The cached archive for a binary, built on first use. The binary's digest is cached too (by path,
 * size and mtime) so a deploy does not hash 100 MB every time.
 */
export async function proxyImageArchive(base: Omit<ProxyImageSpec, "binaryDigest" | "tag"> & { repository: string }, cacheDir: string = cacheDirectory()): Promise<{ path: string; spec: ProxyImageSpec }> {
  const digest = await binaryDigest(base.binary, cacheDir);
  const spec: ProxyImageSpec = { ...base, tag: `${base.repository}:v${base.sextantVersion}`, binaryDigest: digest };
  const path = join(cacheDir, `proxy-image-${spec.sextantVersion}-${spec.arch}-${digest.slice(0, 16)}.tar.gz`);
  if (!existsSync(path)) await writeProxyImageArchive(spec, path);
  return { path, spec };
}

/** sha256 of a binary, cached by path, size and mtime. */
export async function binaryDigest(binary: string, cacheDir: string = cacheDirectory()): Promise<string> {
  const stat = statSync(binary);
  const key = createHash("sha256").update(`${binary}\0${stat.size}\0${stat.mtimeMs}`).digest("hex").slice(0, 24);
  const file = join(cacheDir, `digest-${key}`);
  const { readFileSync, writeFileSync } = await import("node:fs");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const digest = await sha256OfFile(binary);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(`${file}.${process.pid}`, `${digest}\n`);
  renameSync(`${file}.${process.pid}`, file);
  return digest;
}
