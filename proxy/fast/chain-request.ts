/**
 * How a request the fast lane does not serve goes to the chain: the front end still reads its head (so
 * the header deadline, absolute-form targets and pipelining hold for it too) and follows its body's
 * framing, to hand the chain one request at a time. Only framing it can follow for sure is followed;
 * anything doubtful (both Content-Length and Transfer-Encoding, two lengths, an unknown coding, a bare
 * LF, obs-fold, odd bytes, a huge head) makes the connection "raw": from there its bytes go to the chain
 * as they are, and the chain's strict parser refuses or serves them exactly as before.
 */

import { hasUnusualChar } from "./http-chars.ts";
import { toOriginForm } from "./request-head.ts";

export type BodyFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };

export interface ChainHead {
  /** The head to send (absolute-form rewritten to origin-form). */
  bytes: Buffer;
  /** Bytes of the head as received. */
  length: number;
  method: string;
  body: BodyFraming;
  /** The request asks for a protocol switch (a WebSocket): a 101 answer turns the connection raw. */
  upgrade: boolean;
}

export type ChainResult = ChainHead | "incomplete" | "raw";

/** Longest head the front end reads; a longer one goes raw (the chain accepts up to 1 MiB). */
const MAX_HEAD = 64 * 1024;
const NONE: BodyFraming = { kind: "none" };

export function frameForChain(buf: Buffer): ChainResult {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) {
    const lf = buf.indexOf(10);
    const bareLf = lf >= 0 && (lf === 0 || buf[lf - 1] !== 13);
    return buf.length > MAX_HEAD || bareLf ? "raw" : "incomplete";
  }
  if (end > MAX_HEAD) return "raw";
  const text = buf.toString("latin1", 0, end);
  if (hasUnusualChar(text)) return "raw";
  const lines = text.split("\r\n");
  const requestLine = lines[0]!.split(" ");
  if (requestLine.length !== 3 || requestLine[2] !== "HTTP/1.1") return "raw";
  let length: number | undefined;
  let codings: string | undefined;
  let upgrade = false;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.includes("\r") || l.includes("\n") || l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9) return "raw";
    const colon = l.indexOf(":");
    if (colon <= 0 || l.charCodeAt(colon - 1) === 32 || l.charCodeAt(colon - 1) === 9) return "raw";
    const name = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    if (name === "content-length") {
      if (length !== undefined || !/^\d{1,15}$/.test(value)) return "raw";
      length = Number(value);
    } else if (name === "transfer-encoding") {
      if (codings !== undefined) return "raw";
      codings = value.toLowerCase();
    } else if (name === "upgrade") upgrade = true;
  }
  let body: BodyFraming = NONE;
  if (codings !== undefined) {
    if (length !== undefined || codings !== "chunked") return "raw";
    body = { kind: "chunked" };
  } else if (length !== undefined && length > 0) body = { kind: "length", length };
  const head = buf.subarray(0, end + 4);
  return { bytes: toOriginForm(head), length: end + 4, method: requestLine[0]!, body, upgrade };
}

/**
 * Follows a request body through its framing without decoding it: `take` says how many of the given
 * bytes belong to the body; `done` once it is complete; `broken` when chunked framing is wrong (the
 * chain must then see the bytes as they are, to refuse them).
 */
export class BodyTracker {
  done = false;
  broken = false;
  private remaining: number;
  private state: "length" | "size" | "data" | "crlf" | "trailer";
  private line = "";

  constructor(framing: BodyFraming) {
    this.remaining = framing.kind === "length" ? framing.length : 0;
    this.state = framing.kind === "chunked" ? "size" : "length";
    this.done = framing.kind === "none";
  }

  take(buf: Uint8Array): number {
    let at = 0;
    while (at < buf.length && !this.done && !this.broken) {
      switch (this.state) {
        case "length":
        case "data": {
          const n = Math.min(this.remaining, buf.length - at);
          this.remaining -= n;
          at += n;
          if (this.remaining === 0) {
            if (this.state === "length") this.done = true;
            else this.state = "crlf";
          }
          break;
        }
        case "crlf":
        case "size":
        case "trailer": {
          const c = buf[at++]!;
          this.line += String.fromCharCode(c);
          if (this.line.length > 4096) this.broken = true;
          if (c !== 10) break;
          const line = this.line;
          this.line = "";
          if (!line.endsWith("\r\n")) this.broken = true;
          else if (this.state === "crlf") {
            if (line === "\r\n") this.state = "size";
            else this.broken = true;
          } else if (this.state === "trailer") {
            if (line === "\r\n") this.done = true;
          } else {
            const size = line.slice(0, -2).split(";", 1)[0]!;
            if (!/^[0-9a-fA-F]{1,15}$/.test(size)) this.broken = true;
            else if ((this.remaining = Number.parseInt(size, 16)) === 0) this.state = "trailer";
            else this.state = "data";
          }
          break;
        }
      }
    }
    return at;
  }
}
