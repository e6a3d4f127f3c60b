/**
 * A minimal POSIX ustar writer: directories, regular files (streamed from disk or from memory) and
 * symlinks, with modes and owners. Enough to write a Docker image layer and a `docker load` archive
 * without a tar program or a library.
 */
import { createReadStream } from "node:fs";

export type TarEntry =
  | { type: "dir"; path: string; mode?: number; uid?: number; gid?: number }
  | { type: "file"; path: string; mode?: number; uid?: number; gid?: number; content: Uint8Array }
  | { type: "file-from-disk"; path: string; mode?: number; uid?: number; gid?: number; source: string; size: number }
  | { type: "symlink"; path: string; target: string };

const BLOCK = 512;
const encoder = new TextEncoder();

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" is longer than ${length} bytes`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** Split a path into ustar's prefix (≤155) and name (≤100) fields. */
function splitPath(path: string): { prefix: string; name: string } {
  if (encoder.encode(path).length <= 100) return { prefix: "", name: path };
  const cut = path.lastIndexOf("/", 155);
  if (cut <= 0 || encoder.encode(path.slice(cut + 1)).length > 100) throw new Error(`tar: path too long: ${path}`);
  return { prefix: path.slice(0, cut), name: path.slice(cut + 1) };
}

function header(entry: TarEntry, size: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const path = entry.type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const { prefix, name } = splitPath(path);
  const typeflag = entry.type === "dir" ? "5" : entry.type === "symlink" ? "2" : "0";
  const mode = entry.type === "symlink" ? 0o777 : (entry.mode ?? (entry.type === "dir" ? 0o755 : 0o644));
  const uid = entry.type === "symlink" ? 0 : (entry.uid ?? 0);
  const gid = entry.type === "symlink" ? 0 : (entry.gid ?? 0);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, uid);
  writeOctal(block, 116, 8, gid);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0); // mtime 0: the same inputs give the same bytes (and image ID)
  block.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(block, 156, 1, typeflag);
  if (entry.type === "symlink") writeString(block, 157, 100, entry.target);
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** The archive's bytes, chunk by chunk (large files are streamed from disk, never held whole). */
export async function* tarChunks(entries: readonly TarEntry[]): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    if (entry.type === "file") {
      yield header(entry, entry.content.length);
      yield entry.content;
      yield padding(entry.content.length);
    } else if (entry.type === "file-from-disk") {
      yield header(entry, entry.size);
      let read = 0;
      for await (const chunk of createReadStream(entry.source, { highWaterMark: 1 << 20 })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== entry.size) throw new Error(`tar: ${entry.source} changed size while being read`);
      yield padding(entry.size);
    } else {
      yield header(entry, 0);
    }
  }
  yield new Uint8Array(BLOCK * 2);
}
