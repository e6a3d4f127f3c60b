/**
 * Memory-then-disk buffering of request and response bodies: bytes stay in memory up to `maxMemory`,
 * then spill into a `proxy-buffer-*` temp file; the total is capped at `maxBytes` (0 = unlimited).
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class BufferTooLargeError extends Error {
  constructor() {
    super("maximum size exceeded");
  }
}

export interface BufferedBody {
  size: number;
  /** A body usable in fetch or Response; a BunFile when spilled to disk. */
  body: Uint8Array<ArrayBuffer> | Blob;
  spilled: boolean;
  /** Deletes the temp file, if any. Safe to call twice. */
  dispose(): void;
}

export async function bufferBody(stream: ReadableStream<Uint8Array> | null, maxMemory: number, maxBytes: number): Promise<BufferedBody> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let file: FileHandle | undefined;
  let dir: string | undefined;
  const dispose = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  };
  try {
    if (stream) {
      for await (const chunk of stream) {
        size += chunk.byteLength;
        if (maxBytes > 0 && size > maxBytes) throw new BufferTooLargeError();
        if (!file && size > maxMemory) {
          dir = mkdtempSync(join(tmpdir(), "proxy-buffer-"));
          // node:fs/promises only when a body spills: most proxies never load it.
          const { open } = await import("node:fs/promises");
          file = await open(join(dir, "body"), "w");
          for (const c of chunks) await file.write(c);
          chunks.length = 0;
        }
        if (file) await file.write(chunk);
        else chunks.push(chunk);
      }
    }
  } catch (e) {
    await file?.close();
    dispose();
    throw e;
  }
  if (file) {
    await file.close();
    return { size, body: Bun.file(join(dir!, "body")), spilled: true, dispose };
  }
  return { size, body: concat(chunks, size), spilled: false, dispose };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) out.set(c, off), (off += c.byteLength);
  return out;
}
