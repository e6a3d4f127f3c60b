/**
 * JSON logs on stdout in slog's shape ({time, level, msg, ...attrs}), and the per-request "Request" line
 * with kamal-proxy's fields in kamal-proxy's order.
 */
import type { RequestContext } from "./context.ts";

export type Level = "DEBUG" | "INFO" | "WARN" | "ERROR";
const ORDER: Record<Level, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/**
 * Lines are collected and written once per event-loop turn: one stdout write per request line cost more
 * than the rest of the request path under load.
 */
function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    const text = pending.join("");
    pending = [];
    process.stdout.write(text);
  };
  process.on("exit", () => pending.length && flush());
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
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
    this.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...attrs }) + "\n");
  }
  debug = (msg: string, attrs?: Record<string, unknown>) => this.log("DEBUG", msg, attrs);
  info = (msg: string, attrs?: Record<string, unknown>) => this.log("INFO", msg, attrs);
  warn = (msg: string, attrs?: Record<string, unknown>) => this.log("WARN", msg, attrs);
  error = (msg: string, attrs?: Record<string, unknown>) => this.log("ERROR", msg, attrs);
}

const headerKey = (name: string) => name.toLowerCase().replace(/-/g, "_");

export interface RequestLogInput {
  ctx: RequestContext;
  status: number;
  respBytes: number;
  respHeaders: Headers;
  logRequestHeaders: readonly string[];
  logResponseHeaders: readonly string[];
}

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
