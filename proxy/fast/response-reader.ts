/**
 * Reads one upstream HTTP/1.1 response at a time from a stream of socket chunks: the head (interim 1xx
 * heads are skipped, as Bun's fetch skips them), then the payload, decoded from whatever framing the
 * upstream used (Content-Length, chunked, or until the connection closes). The fast lane re-frames the
 * payload for its client, so trailers and chunk extensions stop here, as they did behind Bun's fetch.
 */

import { isDigits } from "../chars.ts";
import { knownHeaderName } from "./header-names.ts";

export interface ResponseHead {
  status: number;
  reason: string;
  /** Header names lowercased, in order; values trimmed. */
  names: string[];
  values: string[];
  /** Payload length when the upstream said it (Content-Length); undefined for chunked or close-delimited. */
  length: number | undefined;
  /** No payload at all: HEAD, 204, 304. */
  empty: boolean;
  /** Whether the connection can carry another request after this response. */
  reusable: boolean;
}

export interface ResponseSink {
  head(head: ResponseHead): void;
  payload(bytes: Uint8Array): void;
  end(): void;
  fail(reason: string): void;
}

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;

type State = "head" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailer" | "close" | "done" | "failed";

/** The whitespace String.prototype.trim removes, within Latin-1 (the head is read as Latin-1). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/** A header name, lowercased: a shared string for the common spellings, else a lowercased slice. */
function headerName(text: string, from: number, to: number): string {
  return knownHeaderName(text, from, to) ?? text.slice(from, to).toLowerCase();
}

/** Buffer.indexOf with a Buffer needle is a native search, several times faster than a loop over CRs in JS. */
const CRLFCRLF = Buffer.from("\r\n\r\n");

export class ResponseReader {
  private state: State = "done";
  private pending: Buffer | undefined;
  private remaining = 0;
  private reusable = true;
  private sink: ResponseSink | undefined;
  private headOnly = false;
  /** The request asked for a protocol switch: a 101 is its answer, and ends what this reader follows. */
  private mayUpgrade = false;

  /** Starts reading the answer to a request just sent (`headOnly` for HEAD: no payload follows). */
  expect(sink: ResponseSink, headOnly: boolean, mayUpgrade = false): void {
    this.sink = sink;
    this.headOnly = headOnly;
    this.mayUpgrade = mayUpgrade;
    this.state = "head";
    this.pending = undefined;
    this.reusable = true;
    this.started = false;
  }

  /** The current response is complete (or was given up): nothing more is expected. */
  private get over(): boolean {
    return this.state === "done" || this.state === "failed";
  }

  /** Whether any byte of the current response has arrived (a pooled connection that died before that may be retried). */
  started = false;

  feed(chunk: Buffer): void {
    if (this.over) {
      // Bytes with no request outstanding: the connection is out of step and must not be reused.
      this.reusable = false;
      return;
    }
    this.started = true;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    while (at < buf.length && !this.over) {
      switch (this.state) {
        case "head": {
          const end = buf.indexOf(CRLFCRLF, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD) return void this.failWith("response head too large");
            this.pending = buf.subarray(at);
            return;
          }
          const text = buf.toString("latin1", at, end);
          at = end + 4;
          if (!this.readHead(text)) return;
          break;
        }
        case "length": {
          const take = Math.min(this.remaining, buf.length - at);
          this.remaining -= take;
          this.sink!.payload(buf.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case "close":
          this.sink!.payload(at === 0 ? buf : buf.subarray(at));
          return;
        case "chunk-size":
        case "trailer": {
          const lf = buf.indexOf(10, at);
          if (lf < 0) {
            if (buf.length - at > MAX_CHUNK_LINE) return void this.failWith("chunk line too long");
            this.pending = buf.subarray(at);
            return;
          }
          if (lf === at || buf[lf - 1] !== 13) return void this.failWith("malformed chunked encoding");
          const line = buf.toString("latin1", at, lf - 1);
          at = lf + 1;
          if (this.state === "trailer") {
            if (line === "") this.finish();
            break;
          }
          const sizeText = line.split(";", 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) return void this.failWith("malformed chunked encoding");
          const size = Number.parseInt(sizeText, 16);
          if (size === 0) this.state = "trailer";
          else {
            this.remaining = size;
            this.state = "chunk-data";
          }
          break;
        }
        case "chunk-data": {
          const take = Math.min(this.remaining, buf.length - at);
          this.remaining -= take;
          this.sink!.payload(buf.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.state = "chunk-crlf";
          break;
        }
        case "chunk-crlf": {
          if (buf.length - at < 2) {
            this.pending = buf.subarray(at);
            return;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10) return void this.failWith("malformed chunked encoding");
          at += 2;
          this.state = "chunk-size";
          break;
        }
      }
    }
    // Anything left after the response ended belongs to no request: the connection is not reused.
    if (at < buf.length && this.over) this.reusable = false;
  }

  /** The upstream closed the connection: the end of a close-delimited body, else a cut response. */
  closed(): void {
    if (this.state === "close") this.finish();
    else if (this.state !== "done" && this.state !== "failed") this.failWith("upstream closed the connection");
  }

  /** Whether the connection may go back to the pool (read after the response ended). */
  get canReuse(): boolean {
    return this.state === "done" && this.reusable;
  }

  private readHead(text: string): boolean {
    // Parsed by hand (no split, no regex per line): this runs once per proxied request.
    let eol = text.indexOf("\r\n");
    if (eol < 0) eol = text.length;
    const minor = text.charCodeAt(7);
    if (!text.startsWith("HTTP/1.") || (minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32 || !isDigits(text, 9, 12) || (eol > 12 && text.charCodeAt(12) !== 32)) {
      return (this.failWith("malformed response"), false);
    }
    // Three digits, checked above: read in place rather than sliced and converted.
    const status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
    if (status >= 100 && status < 200) {
      // Interim answers (100 Continue, 103 Early Hints) are skipped. A 101 ends the HTTP exchange when
      // the request asked for it (the chain's WebSockets); the fast lane never asks.
      if (status === 101) {
        if (!this.mayUpgrade) return (this.failWith("unexpected protocol switch"), false);
        this.sink!.head({ status, reason: "", names: [], values: [], length: 0, empty: true, reusable: false });
        this.state = "done";
        this.reusable = false;
        return false;
      }
      return true;
    }
    const names: string[] = [];
    const values: string[] = [];
    let length: number | undefined;
    let chunked = false;
    let otherCoding = false;
    let keepAlive = minor === 49;
    for (let at = eol + 2; at < text.length; ) {
      let next = text.indexOf("\r\n", at);
      if (next < 0) next = text.length;
      const colon = text.indexOf(":", at);
      if (colon <= at || colon > next) return (this.failWith("malformed response header"), false);
      const name = headerName(text, at, colon);
      // The value trimmed as String.prototype.trim would, but cut out once instead of sliced then trimmed.
      let from = colon + 1;
      let to = next;
      while (from < to && isSpace(text.charCodeAt(from))) from++;
      while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
      const value = text.slice(from, to);
      at = next + 2;
      names.push(name);
      values.push(value);
      if (name.length < 10 || name.charCodeAt(0) > 116 /* t */) continue;
      if (name === "content-length") {
        if (value.length < 1 || value.length > 15 || !isDigits(value, 0, value.length) || (length !== undefined && length !== Number(value))) {
          return (this.failWith("invalid Content-Length"), false);
        }
        length = Number(value);
      } else if (name === "transfer-encoding") {
        const codings = value.toLowerCase().split(",");
        chunked = codings[codings.length - 1]!.trim() === "chunked";
        otherCoding = !chunked;
      } else if (name === "connection") {
        // The common single tokens without a split; a list is split as before.
        const v = value.toLowerCase();
        const tokens = v === "keep-alive" || v === "close" ? [v] : v.split(",").map((t) => t.trim());
        if (tokens.includes("close")) keepAlive = false;
        else if (tokens.includes("keep-alive")) keepAlive = true;
      }
    }
    const empty = this.headOnly || status === 204 || status === 304;
    this.reusable = keepAlive;
    if (chunked || otherCoding) length = undefined;
    this.sink!.head({ status, reason: eol > 13 ? text.slice(13, eol) : "", names, values, length: empty ? 0 : length, empty, reusable: keepAlive });
    if (this.over) return false;
    if (empty) this.finish();
    else if (chunked) this.state = "chunk-size";
    else if (otherCoding || length === undefined) {
      this.state = "close";
      this.reusable = false;
    } else if (length === 0) this.finish();
    else {
      this.remaining = length;
      this.state = "length";
    }
    return true;
  }

  private finish(): void {
    this.state = "done";
    this.sink!.end();
  }

  private failWith(reason: string): void {
    this.state = "failed";
    this.reusable = false;
    this.sink?.fail(reason);
  }

  /** The exchange gave up on this response (client gone, timeout): the connection is not reused. */
  abandon(): void {
    if (this.state !== "done") {
      this.state = "failed";
      this.reusable = false;
    }
  }
}
