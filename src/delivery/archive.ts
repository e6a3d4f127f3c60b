/**
 * A `docker save` archive, read from a local file, and the trimmed copy sent to one server: the
 * same entries minus the layers the server already has, with a manifest that names no tag.
 *
 * Why this loads: `docker load` (classic store) looks each layer's chain ID up in the layer store
 * before it opens the layer's file, so a layer the server has needs no file in the archive. And a
 * manifest without RepoTags loads the image by ID only, so a load cut half-way tags nothing; the
 * tag is set afterwards, once the whole image is there.
 *
 * Both save formats work: Docker ≤ 24 (`<id>/layer.tar` directories, `<hex>.json` config) and
 * Docker ≥ 25 (OCI layout, `blobs/sha256/<hex>` for layers and config).
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

const BLOCK = 512;

export interface TarEntry {
  name: string;
  /** Offset of the entry's first header (an extended header when there is one). */
  start: number;
  /** Offset of its data, and the data's size. */
  dataStart: number;
  size: number;
  /** Offset just past its padded data. */
  end: number;
  type: string;
  /** A symlink's target (type "2"). */
  link?: string;
}

export interface SavedImage {
  entries: TarEntry[];
  /** manifest.json's first image: its config path and layer paths (bottom first). */
  configPath: string;
  layerPaths: string[];
  /** The config's diff IDs (bottom first) and the image ID (sha256 of the config). */
  diffIds: string[];
  imageId: string;
}

function text(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? slice : slice.subarray(0, nul));
}

function octal(block: Uint8Array, offset: number, length: number): number {
  const value = text(block, offset, length).trim();
  return value === "" ? 0 : parseInt(value, 8);
}

/** `path=` from a pax extended header's records. */
function paxPath(data: Uint8Array): string | undefined {
  return new TextDecoder().decode(data).match(/(?:^|\n)\d+ path=([^\n]*)\n/)?.[1];
}

function normalize(name: string): string {
  return name.replace(/^\.\//, "").replace(/\/$/, "");
}

/** The entries of a tar held by `read(offset, length)`, in order. */
export function indexTar(read: (offset: number, length: number) => Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let start = 0;
  let longName: string | undefined;
  for (;;) {
    const header = read(offset, BLOCK);
    if (header.length < BLOCK || header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const dataStart = offset + BLOCK;
    const end = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x" || type === "L") {
      const data = read(dataStart, size);
      longName = type === "x" ? (paxPath(data) ?? longName) : text(data, 0, size);
      offset = end;
      continue;
    }
    if (type !== "g") {
      const prefix = text(header, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
      entries.push({ name: normalize(name), start, dataStart, size, end, type, ...(type === "2" ? { link: text(header, 157, 100) } : {}) });
    }
    longName = undefined;
    offset = end;
    start = end;
  }
  return entries;
}

interface ManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Read the saved image's manifest and config; `read` as for indexTar. */
export function describeSave(entries: TarEntry[], read: (offset: number, length: number) => Uint8Array): SavedImage {
  const file = (name: string) => {
    const entry = entries.find((e) => e.name === normalize(name));
    if (!entry) throw new Error(`the image archive has no ${name}`);
    return read(entry.dataStart, entry.size);
  };
  const manifest = JSON.parse(new TextDecoder().decode(file("manifest.json"))) as ManifestItem[];
  if (!Array.isArray(manifest) || manifest.length !== 1) throw new Error(`the image archive holds ${Array.isArray(manifest) ? manifest.length : "no"} images, expected 1`);
  const item = manifest[0]!;
  const configBytes = file(item.Config);
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== item.Layers.length) throw new Error(`the image config lists ${diffIds.length} layers, its manifest ${item.Layers.length}`);
  return {
    entries,
    configPath: normalize(item.Config),
    layerPaths: item.Layers.map(normalize),
    diffIds,
    imageId: `sha256:${createHash("sha256").update(configBytes).digest("hex")}`,
  };
}

/** The manifest of the trimmed archive: the same config and layers, no tag. */
export function untaggedManifest(image: SavedImage): string {
  return JSON.stringify([{ Config: image.configPath, RepoTags: null, Layers: image.layerPaths }]);
}

/**
 * The archive entries to leave out when the server has every layer but those at `missing`
 * (indexes into the image's layers). A Docker ≤ 24 layer is a directory `<id>/` (layer.tar, json,
 * VERSION): all of it goes. A path still needed by a missing layer stays (two layers can share one
 * blob). manifest.json is replaced, and the old `repositories` tag file dropped.
 */
export function omittedPaths(image: SavedImage, missing: readonly number[]): Set<string> {
  const needed = new Set(missing.map((i) => image.layerPaths[i]!));
  const omit = new Set<string>(["manifest.json", "repositories"]);
  image.layerPaths.forEach((path, i) => {
    if (missing.includes(i) || needed.has(path)) return;
    omit.add(path);
    if (path.endsWith("/layer.tar")) {
      const dir = path.slice(0, -"/layer.tar".length);
      for (const entry of image.entries) if (entry.name === dir || entry.name.startsWith(`${dir}/`)) omit.add(entry.name);
    }
  });
  // Docker ≤ 24 saves a layer whose content was already saved as a symlink to the first copy
  // (`<id2>/layer.tar -> ../<id1>/layer.tar`): a kept link keeps its target.
  for (const entry of image.entries) {
    if (entry.link === undefined || omit.has(entry.name)) continue;
    const target = resolveLink(entry.name, entry.link);
    if (omit.delete(target)) omit.delete(target.split("/").slice(0, -1).join("/"));
  }
  return omit;
}

/** The archive path a relative symlink at `name` points to. */
function resolveLink(name: string, link: string): string {
  const parts = link.startsWith("/") ? [] : name.split("/").slice(0, -1);
  for (const part of link.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** A ustar header for a regular file. */
export function fileHeader(name: string, size: number, mtimeSeconds = 0): Uint8Array {
  if (new TextEncoder().encode(name).length > 100) throw new Error(`tar name too long: ${name}`);
  const header = new Uint8Array(BLOCK);
  const put = (offset: number, value: string) => header.set(new TextEncoder().encode(value), offset);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, `${size.toString(8).padStart(11, "0")}\0`);
  put(136, `${mtimeSeconds.toString(8).padStart(11, "0")}\0`);
  put(148, "        ");
  put(156, "0");
  put(257, "ustar\0");
  put(263, "00");
  const sum = header.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** What the trimmed archive is made of: byte ranges of the original, then the new manifest. */
export interface TrimPlan {
  ranges: { start: number; end: number }[];
  manifest: Uint8Array;
  /** Exact size of the trimmed archive. */
  bytes: number;
  /** Data bytes of the layers it carries. */
  layerBytes: number;
}

export function trimPlan(image: SavedImage, missing: readonly number[]): TrimPlan {
  const omit = omittedPaths(image, missing);
  const ranges: { start: number; end: number }[] = [];
  for (const entry of image.entries) {
    if (omit.has(entry.name)) continue;
    const last = ranges.at(-1);
    if (last && last.end === entry.start) last.end = entry.end;
    else ranges.push({ start: entry.start, end: entry.end });
  }
  const body = new TextEncoder().encode(untaggedManifest(image));
  const manifest = new Uint8Array([...fileHeader("manifest.json", body.length), ...padded(body), ...new Uint8Array(2 * BLOCK)]);
  const sent = new Set(missing.map((i) => image.layerPaths[i]!));
  const layerBytes = image.entries.filter((e) => sent.has(e.name)).reduce((a, e) => a + e.size, 0);
  return { ranges, manifest, bytes: ranges.reduce((a, r) => a + r.end - r.start, 0) + manifest.length, layerBytes };
}

/** A readable file by offset (synchronous reads: the archive is local). */
export class ArchiveFile {
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
  }
  read = (offset: number, length: number): Uint8Array => {
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buffer.subarray(0, done);
  };
  close(): void {
    closeSync(this.fd);
  }
}

/** The trimmed archive's bytes, in chunks of at most `chunk` bytes; `onBytes` counts what was produced. */
export async function* trimmedChunks(file: ArchiveFile, plan: TrimPlan, onBytes: (n: number) => void = () => {}, chunk = 1 << 20): AsyncGenerator<Uint8Array> {
  for (const range of plan.ranges) {
    for (let at = range.start; at < range.end; at += chunk) {
      const data = file.read(at, Math.min(chunk, range.end - at));
      onBytes(data.length);
      yield data;
    }
  }
  onBytes(plan.manifest.length);
  yield plan.manifest;
}
