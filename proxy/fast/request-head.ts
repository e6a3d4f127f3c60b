/**
 * The fast lane's request parser. It accepts only the plainest HTTP/1.1 requests (GET or HEAD, an
 * origin-form target, one Host, no body, no upgrade, printable ASCII only) and calls everything else
 * "other": those go to the Bun.serve chain, whose strict parser and stages handle them as before. So the
 * fast lane never has to be as strict as a full parser: it only has to recognise what it can serve.
 */
import { knownHeaderName } from "./header-names.ts";
import { hasUnusualChar, isRewrittenTarget, isToken } from "./http-chars.ts";

export interface RequestHead {
  method: "GET" | "HEAD";
  /** The request target as sent: path and query. */
  target: string;
  path: string;
  query: string;
  /** Header names lowercased, values trimmed, in the order received. */
  names: string[];
  values: string[];
  host: string;
  /** `Connection: close`: the connection ends after this answer. */
  close: boolean;
  /** Bytes of the head, including the blank line. */
  length: number;
}

export type HeadResult = RequestHead | "incomplete" | "other";

/** Longest head the fast lane takes; a longer one goes to the chain (chain-request.ts), whose limit is 1 MiB. */
const MAX_HEAD = 16 * 1024;

// Absolute form is rare (proxies and some scanners send it): only a target not starting with "/" is tried.
const ABSOLUTE = /^https?:\/\/([A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?)(?=\/|\?|$)/i;
const NEVER_FAST = new Set(["content-length", "transfer-encoding", "upgrade", "expect", "http2-settings"]);

/** Finds CRLFCRLF; -1 when the head is not complete yet (a native search, faster than a loop over CRs). */
const CRLFCRLF = Buffer.from("\r\n\r\n");
const headEnd = (buf: Buffer): number => buf.indexOf(CRLFCRLF);

/**
 * A CR or LF that is not part of a CRLF, in a header line or in the request target: left to the full
 * parser. (Two indexOf walks: a regex with lookarounds for this cost twice as much.)
 */
function hasBareCrOrLf(text: string): boolean {
  for (let i = text.indexOf("\r"); i >= 0; i = text.indexOf("\r", i + 2)) if (text.charCodeAt(i + 1) !== 10) return true;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) if (text.charCodeAt(i - 1) !== 13) return true;
  return false;
}

/** A LF without its CR: such a head never ends in CRLFCRLF, and the full parser refuses it. */
function hasBareLf(buf: Uint8Array): boolean {
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) if (i === 0 || buf[i - 1] !== 13) return true;
  return false;
}

const isBlank = (c: number): boolean => c === 32 || c === 9;

export function parseRequestHead(buf: Buffer): HeadResult {
  const end = headEnd(buf);
  if (end < 0) return buf.length > MAX_HEAD || hasBareLf(buf) ? "other" : "incomplete";
  if (end > MAX_HEAD) return "other";
  const text = buf.toString("latin1", 0, end);
  // Unusual characters (NUL, obs-text, controls) are left to the full parser.
  if (hasUnusualChar(text) || hasBareCrOrLf(text)) return "other";
  // One pass over the text by offsets: no arrays of lines, no lowercased copy of the whole head.
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  const line = text.slice(0, eol);
  const sp1 = line.indexOf(" ");
  const sp2 = line.indexOf(" ", sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || line.slice(sp2 + 1) !== "HTTP/1.1") return "other";
  // The method as a shared constant rather than a slice (it is compared and logged per request).
  const method = sp1 === 3 && line.startsWith("GET") ? "GET" : sp1 === 4 && line.startsWith("HEAD") ? "HEAD" : undefined;
  if (method === undefined) return "other";
  let target = line.slice(sp1 + 1, sp2);
  // Absolute form (RFC 9112 §3.2.2): the URI's authority replaces the Host header.
  let authority: string | undefined;
  const abs = target.charCodeAt(0) === 47 /* / */ ? null : ABSOLUTE.exec(target);
  if (abs) {
    authority = abs[1]!;
    target = target.slice(abs[0].length) || "/";
  }
  if (target.charCodeAt(0) !== 47 /* / */ || target.includes(" ") || target.includes("\t") || target.includes("#") || isRewrittenTarget(target)) return "other";
  const names: string[] = [];
  const values: string[] = [];
  let host: string | undefined;
  let close = false;
  for (let at = eol + 2; at < text.length; ) {
    let next = text.indexOf("\r\n", at);
    if (next < 0) next = text.length;
    // An obs-fold continuation line: the full parser decides.
    const first = text.charCodeAt(at);
    if (first === 32 || first === 9) return "other";
    const colon = text.indexOf(":", at);
    if (colon <= at || colon > next) return "other";
    let name = knownHeaderName(text, at, colon);
    if (name === undefined) {
      const raw = text.slice(at, colon);
      if (!isToken(raw)) return "other";
      name = raw.toLowerCase();
    }
    // Trimmed as String.prototype.trim would (only spaces and tabs can be there), cut out once.
    let from = colon + 1;
    let to = next;
    while (from < to && isBlank(text.charCodeAt(from))) from++;
    while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    const value = text.slice(from, to);
    at = next + 2;
    if (NEVER_FAST.has(name)) return "other";
    if (name === "host") {
      if (host !== undefined || value === "") return "other";
      host = value;
      if (authority !== undefined) {
        names.push(name);
        values.push(authority);
        continue;
      }
    } else if (name === "connection") {
      const lower = value.toLowerCase();
      if (lower === "close") close = true;
      else if (lower !== "keep-alive") {
        for (const token of lower.split(",")) {
          const t = token.trim();
          if (t === "close") close = true;
          else if (t === "upgrade") return "other";
        }
      }
    }
    names.push(name);
    values.push(value);
  }
  // Without a Host header an HTTP/1.1 request is refused (400), absolute form or not: the chain does that.
  if (host === undefined) return "other";
  if (authority !== undefined) host = authority;
  const q = target.indexOf("?");
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? "" : target.slice(q + 1),
    names,
    values,
    host,
    close,
    length: end + 4,
  };
}

/** The first value of a header (names are lowercased). */
export function headerValue(head: { names: string[]; values: string[] }, name: string): string | null {
  const i = head.names.indexOf(name);
  return i < 0 ? null : head.values[i]!;
}

/**
 * For a request going to the chain: an absolute-form target becomes origin-form and its authority the
 * Host header (RFC 9112 §3.2.2), since Bun.serve would rebuild the URL from Host and lose the authority.
 * Anything else (no Host, an incomplete or unusual head) is returned as it is, for the chain to judge.
 */
export function toOriginForm(buf: Buffer): Buffer {
  const end = headEnd(buf);
  if (end < 0) return buf;
  const text = buf.toString("latin1", 0, end);
  const eol = text.indexOf("\r\n");
  const line = eol < 0 ? text : text.slice(0, eol);
  const sp1 = line.indexOf(" ");
  const sp2 = line.lastIndexOf(" ");
  if (sp1 < 0 || sp2 <= sp1) return buf;
  const target = line.slice(sp1 + 1, sp2);
  const abs = ABSOLUTE.exec(target);
  if (!abs || eol < 0) return buf;
  const hostLine = /\r\nhost:[ \t]*[^\r\n]*/i;
  const headers = text.slice(eol);
  if (!hostLine.test(headers)) return buf;
  const head = `${line.slice(0, sp1 + 1)}${target.slice(abs[0].length) || "/"}${line.slice(sp2)}${headers.replace(hostLine, `\r\nHost: ${abs[1]}`)}`;
  return Buffer.concat([Buffer.from(head, "latin1"), buf.subarray(end)]);
}
