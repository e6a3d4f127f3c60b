/**
 * The fast lane's character checks on request heads and response types, as loops rather than regular
 * expressions (see ../chars.ts for why).
 */
import { isRegexSpace } from "../chars.ts";

/** tchar (RFC 9110 §5.6.2): ! # $ % & ' * + - . ^ _ ` | ~, digits and letters. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** A header name or method: one or more tchars. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Anything but printable ASCII, tab, CR and LF (NUL, other controls, DEL, obs-text). */
export function hasUnusualChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || (c < 32 && c !== 9 && c !== 10 && c !== 13)) return true;
  }
  return false;
}

/** " ' < > \ ^ ` { | }: what the URL parser behind Bun.serve percent-encodes in a path or query. */
const ENCODED = new Uint8Array(128);
for (const c of "\"'<>\\^`{|}") ENCODED[c.charCodeAt(0)] = 1;

/**
 * Whether the URL parser behind Bun.serve would rewrite this target: a character it percent-encodes, or
 * a dot segment (`/.` or `/..` followed by `/`, `?` or the end) that it resolves.
 */
export function isRewrittenTarget(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c < 128 && ENCODED[c] === 1) return true;
  }
  for (let i = target.indexOf("/."); i >= 0; i = target.indexOf("/.", i + 1)) {
    // After "/." comes an optional second dot, then the segment's end.
    const after = target.charCodeAt(i + 2) === 46 ? i + 3 : i + 2;
    if (after === target.length) return true;
    const c = target.charCodeAt(after);
    if (c === 47 /* / */ || c === 63 /* ? */) return true;
  }
  return false;
}

const EVENT_STREAM = "text/event-stream";

/** A Content-Type of server-sent events (/^text\/event-stream\s*(;|$)/i): never buffered, whatever the service says. */
export function isEventStream(contentType: string): boolean {
  if (contentType.length < EVENT_STREAM.length || contentType.slice(0, EVENT_STREAM.length).toLowerCase() !== EVENT_STREAM) return false;
  let i = EVENT_STREAM.length;
  while (i < contentType.length && isRegexSpace(contentType.charCodeAt(i))) i++;
  return i === contentType.length || contentType.charCodeAt(i) === 59 /* ; */;
}
