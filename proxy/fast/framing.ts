/**
 * Re-framing the app's answer for the client: chunked encoding for bodies of unknown length, and the
 * decoders for an encoding the client did not ask for (as Bun's fetch decodes them for the chain).
 */
import type { Transform } from "node:stream";

export type Zlib = typeof import("node:zlib");
/** The encodings Bun's fetch decodes, by Content-Encoding token. */
export const DECODERS: Record<string, (z: Zlib) => Transform> = {
  gzip: (z) => z.createGunzip(),
  "x-gzip": (z) => z.createGunzip(),
  deflate: (z) => z.createInflate(),
  br: (z) => z.createBrotliDecompress(),
  zstd: (z) => (z as Zlib & { createZstdDecompress(): Transform }).createZstdDecompress(),
};

/** One chunk of a chunked body: size line, bytes, CRLF, in one buffer (one write). */
export function chunk(bytes: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, "latin1"), bytes, CRLF]);
}
const CRLF = Buffer.from("\r\n");
