/**
 * JSON logs on stdout in slog's shape ({time, level, msg, ...attrs}), and the per-request "Request" line
 * with kamal-proxy's fields in kamal-proxy's order.
 */
import { writeSync } from "node:fs";

export type Level = "DEBUG" | "INFO" | "WARN" | "ERROR";
const ORDER: Record<Level, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/**
 * Lines are collected and written once per event-loop turn: one stdout write per request line cost more
 * than the rest of the request path under load.
 */
function batchedStdout(): (line: string) => void {
  const write = stdoutWriter();
  let pending = "";
  const flush = () => {
    const text = pending;
    pending = "";
    write(text);
  };
  process.on("exit", () => {
    if (pending) flush();
  });
  return (line) => {
    if (pending === "") setImmediate(flush);
    pending += line;
  };
}

/**
 * Writes to stdout the way Go's os.Stdout does for kamal-proxy's log: a plain write(2), blocking when
 * the reader (Docker's log driver) is behind. Lines written just before exit are never lost: Bun's
 * process.stdout and its stdout sink both dropped lines buffered at exit into a slow pipe (the
 * "Server stopped" line, say, at the end of a graceful shutdown). A stdout
 * that is non-blocking and full (EAGAIN) is handed to process.stdout, which queues, for good; any other
 * error (the reader is gone) drops the text: a log line must never take the proxy down.
 */
function stdoutWriter(): (text: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  return (text) => {
    if (stream) return void stream.write(text);
    let bytes: Buffer | undefined;
    let offset = 0;
    try {
      // The string is written as it is (no Buffer made in JS): a blocking write takes all of it, and
      // only a short count (a signal, a non-blocking pipe) needs the bytes to carry on from.
      offset = writeSync(1, text);
      // All written when the count is the text's UTF-8 size. Buffer.byteLength is a native SIMD count,
      // some fifty times faster than a regex test for non-ASCII over a turn's worth of lines.
      if (offset === text.length && Buffer.byteLength(text) === offset) return;
      bytes = Buffer.from(text);
      while (offset < bytes.length) offset += writeSync(1, bytes, offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return;
      stream = process.stdout;
      stream.write((bytes ?? Buffer.from(text)).subarray(offset));
    }
  };
}

/**
 * The log's `time`: an ISO timestamp, formatted once per millisecond (toISOString on every line showed
 * in profiles; under load many lines share a millisecond).
 */
let lastMs = -1;
let lastIso = "";
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export class Logger {
  private readonly write: (line: string) => void;

  constructor(
    write?: (line: string) => void,
    public debugEnabled = false,
  ) {
    this.write = write ?? batchedStdout();
  }

  log(level: Level, msg: string, attrs: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.debugEnabled ? "DEBUG" : "INFO"]) return;
    this.write(JSON.stringify({ time: isoNow(), level, msg, ...attrs }) + "\n");
  }

  /** The per-request line (INFO). */
  request(input: RequestLogInput): void {
    this.write(requestLogLine(input, isoNow()));
  }
  debug = (msg: string, attrs?: Record<string, unknown>) => this.log("DEBUG", msg, attrs);
  info = (msg: string, attrs?: Record<string, unknown>) => this.log("INFO", msg, attrs);
  warn = (msg: string, attrs?: Record<string, unknown>) => this.log("WARN", msg, attrs);
  error = (msg: string, attrs?: Record<string, unknown>) => this.log("ERROR", msg, attrs);
}

const headerKey = (name: string) => name.toLowerCase().replaceAll("-", "_");

export function requestLogAttrs(i: RequestLogInput): Record<string, unknown> {
  const { ctx } = i;
  const req = ctx.req;
  const cl = req.headers.get("content-length");
  const attrs: Record<string, unknown> = {
    host: ctx.host,
    port: ctx.conn.port,
    path: ctx.path,
    request_id: ctx.headers.get("x-request-id") ?? "",
    status: i.status,
    service: ctx.service,
    target: ctx.target,
    duration: Math.round((performance.now() - ctx.startedAt) * 1e6),
    method: req.method,
    req_content_length: cl === null ? (req.body ? -1 : 0) : Number(cl),
    req_content_type: req.headers.get("content-type") ?? "",
    resp_content_length: i.respBytes,
    resp_content_type: i.respHeaders.get("content-type") ?? "",
    client_addr: ctx.conn.remoteAddr,
    client_port: String(ctx.conn.remotePort),
    remote_addr: ctx.remoteAddr,
    user_agent: req.headers.get("user-agent") ?? "",
    proto: "HTTP/1.1",
    scheme: ctx.conn.tls ? "https" : "http",
    query: ctx.query,
  };
  for (const h of i.logRequestHeaders) attrs[`req_${headerKey(h)}`] = req.headers.get(h) ?? "";
  for (const h of i.logResponseHeaders) attrs[`resp_${headerKey(h)}`] = i.respHeaders.get(h) ?? "";
  return attrs;
}

interface HeaderLookup {
  get(name: string): string | null;
}

/** What a request log line reads of a request: the chain's RequestContext and the fast lane's request both have it. */
export interface LoggedRequest {
  readonly host: string;
  readonly path: string;
  readonly query: string;
  readonly startedAt: number;
  service: string;
  target: string;
  remoteAddr: string;
  readonly conn: { readonly port: number; readonly remoteAddr: string; readonly remotePort: number; readonly tls: boolean };
  /** The upstream-bound headers (for the request id). */
  readonly headers: HeaderLookup;
  readonly req: { readonly method: string; readonly headers: HeaderLookup; readonly body: unknown };
  /**
   * Set by the fast lane, whose request parser lets no quote, backslash, control or non-ASCII character
   * into the path or query, whose method is GET or HEAD and whose client address is the socket's: those
   * fields are written without the escaping check.
   */
  readonly jsonSafe?: boolean;
}

export interface RequestLogInput {
  ctx: LoggedRequest;
  status: number;
  respBytes: number;
  respHeaders: HeaderLookup;
  logRequestHeaders: readonly string[];
  logResponseHeaders: readonly string[];
}

/**
 * A JSON string literal. Most values need no escaping, and a scan is cheaper than stringify: only
 * quotes, backslashes, controls and surrogates (which may be lone) send it to JSON.stringify. (A loop,
 * not a regex test: see chars.ts.)
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * Service names and target addresses are the same few strings on every line: their JSON form is kept
 * (bounded, for a proxy that sees many deploys over its life).
 */
const constants = new Map<string, string>();
function jsonConstant(s: string): string {
  let json = constants.get(s);
  if (json === undefined) {
    if (constants.size >= 1024) constants.clear();
    constants.set(s, (json = jsonString(s)));
  }
  return json;
}

const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : "null");

/**
 * The "Request" line, written out field by field in kamal-proxy's order. Building the attributes as an
 * object and stringifying it (with a spread for time/level/msg) was a tenth of the proxy's CPU per
 * request; this string is the same JSON, byte for byte.
 */
export function requestLogLine(i: RequestLogInput, time: string): string {
  // Extra logged headers are appended as fields after the fixed ones, as the object would place them;
  // only a list where a header would overwrite a fixed field (content-type → req_content_type) or
  // repeat itself takes the object path, which keeps such a key in its first place.
  let extra = "";
  if (i.logRequestHeaders.length || i.logResponseHeaders.length) {
    const req = extraFields(i.logRequestHeaders, "req_");
    const resp = extraFields(i.logResponseHeaders, "resp_");
    if (!req || !resp) return JSON.stringify({ time, level: "INFO", msg: "Request", ...requestLogAttrs(i) }) + "\n";
    for (const f of req) extra += `,${f.key}:${jsonString(i.ctx.req.headers.get(f.header) ?? "")}`;
    for (const f of resp) extra += `,${f.key}:${jsonString(i.respHeaders.get(f.header) ?? "")}`;
  }
  const { ctx } = i;
  const req = ctx.req;
  const h = req.headers;
  const cl = h.get("content-length");
  const safe = ctx.jsonSafe === true;
  const line =
    `{"time":"${time}","level":"INFO","msg":"Request","host":${jsonString(ctx.host)},"port":${ctx.conn.port}` +
    `,"path":${safe ? `"${ctx.path}"` : jsonString(ctx.path)},"request_id":${jsonString(ctx.headers.get("x-request-id") ?? "")},"status":${i.status}` +
    `,"service":${jsonConstant(ctx.service)},"target":${jsonConstant(ctx.target)}` +
    `,"duration":${Math.round((performance.now() - ctx.startedAt) * 1e6)},"method":${safe ? `"${req.method}"` : jsonString(req.method)}` +
    `,"req_content_length":${cl === null ? (req.body ? -1 : 0) : jsonNumber(Number(cl))}` +
    `,"req_content_type":${jsonString(h.get("content-type") ?? "")},"resp_content_length":${i.respBytes}` +
    `,"resp_content_type":${jsonString(i.respHeaders.get("content-type") ?? "")}` +
    `,"client_addr":${safe ? `"${ctx.conn.remoteAddr}"` : jsonString(ctx.conn.remoteAddr)},"client_port":"${ctx.conn.remotePort}"` +
    `,"remote_addr":${jsonString(ctx.remoteAddr)},"user_agent":${jsonString(h.get("user-agent") ?? "")}` +
    `,"proto":"HTTP/1.1","scheme":"${ctx.conn.tls ? "https" : "http"}","query":${safe ? `"${ctx.query}"` : jsonString(ctx.query)}`;
  return `${line}${extra}}\n`;
}

/**
 * The fixed fields an extra header's field could overwrite: extra fields are always named `req_…` or
 * `resp_…`, and these four are the only fixed ones with those prefixes.
 */
const PREFIXED_FIXED_FIELDS = new Set(["req_content_length", "req_content_type", "resp_content_length", "resp_content_type"]);

interface ExtraField {
  header: string;
  /** The field name, already a JSON string. */
  key: string;
}

const extraCache = new WeakMap<readonly string[], ExtraField[] | null>();

/** A service's logged headers as fields (worked out once per list), or null when one collides. */
function extraFields(headers: readonly string[], prefix: string): ExtraField[] | null {
  if (headers.length === 0) return [];
  let fields = extraCache.get(headers);
  if (fields === undefined) {
    const names = headers.map((h) => `${prefix}${headerKey(h)}`);
    const clean = names.every((n, at) => !PREFIXED_FIXED_FIELDS.has(n) && names.indexOf(n) === at);
    fields = clean ? headers.map((h, at) => ({ header: h.toLowerCase(), key: JSON.stringify(names[at]) })) : null;
    extraCache.set(headers, fields);
  }
  return fields;
}
