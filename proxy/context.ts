/**
 * Per-request state shared by the stages: the upstream-bound header copy, routing results, and the
 * hooks that run when the response body has been fully sent (logging, metrics, in-flight release).
 */
import type { Server } from "bun";
import type { Service } from "./service.ts";

export interface ConnInfo {
  remoteAddr: string;
  remotePort: number;
  tls: boolean;
  /** The configured listener port (what kamal-proxy logs), not the ephemeral bound one. */
  port: number;
  server?: Server<any>;
  /** The `Alt-Svc` value to add to the answer (TCP TLS with --http3), if any. */
  altSvc?: string;
}

/** Split Bun's absolute request URL into the raw path and query, so the query is forwarded byte for byte. */
function splitRawUrl(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { path: "/", query: "" };
  const rest = url.slice(start);
  const q = rest.indexOf("?");
  return q < 0 ? { path: rest, query: "" } : { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

const NONE: readonly string[] = [];

/** Host without the port ("[::1]:80" → "[::1]"), as routing, redirects and cookie scoping use it. */
export function hostWithoutPort(h: string): string {
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon >= 0 ? h.slice(0, colon) : h;
}

export class RequestContext {
  readonly headers: Headers;
  readonly path: string;
  readonly query: string;
  readonly startedAt = performance.now();
  service = "";
  target = "";
  /** The service routing picked (set by the routing stage, read by the stages after it). */
  matched: Service | undefined;
  /** The path the upstream sees (after prefix stripping). */
  strippedPath: string;
  matchedPrefix = "/";
  excludedFromMetrics = false;
  hijacked = false;
  /** Set when the response body is already in memory, so it needs no byte-counting stream. */
  knownLength: number | undefined;
  /** Overrides the response status in logs and metrics (499 for a client that went away). */
  loggedStatus: number | undefined;
  /** X-Forwarded-For as received (after the client-IP header replaced it), for the `remote_addr` log field. */
  remoteAddr: string;
  /** The Host header as received ("" without one). */
  readonly host: string;
  /** Extra headers the service logs (`--log-request-header`, `--log-response-header`). */
  logRequestHeaders: readonly string[] = NONE;
  logResponseHeaders: readonly string[] = NONE;
  private hostnameCache: string | undefined;
  private finishers: (() => void)[] = [];
  private finished = false;

  constructor(
    readonly req: Request,
    readonly conn: ConnInfo,
  ) {
    this.headers = new Headers(req.headers);
    const { path, query } = splitRawUrl(req.url);
    this.path = path;
    this.query = query;
    this.strippedPath = path;
    this.remoteAddr = req.headers.get("x-forwarded-for") ?? conn.remoteAddr;
    // Read once: routing, redirects, forwarding headers and the log line all need it.
    this.host = req.headers.get("host") ?? "";
  }

  /** Host without the port, as routing and redirects use it. */
  get hostname(): string {
    return (this.hostnameCache ??= hostWithoutPort(this.host));
  }

  onFinish(fn: () => void): void {
    if (this.finished) fn();
    else this.finishers.push(fn);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const fn of this.finishers.reverse()) {
      try {
        fn();
      } catch {
        // A failing hook must not keep the others (in-flight release) from running.
      }
    }
  }
}
