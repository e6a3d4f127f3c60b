/**
 * A health check as one raw HTTP/1.1 GET on a Bun TCP socket. Bun's fetch() runs its own HTTP client
 * thread with its own event loop, which costs the idle proxy most of a megabyte of memory; a check needs
 * only a status line, so it is read here, in the JS thread, as the fast lane reads its upstreams.
 * Semantics are checkOnce's (health-check.ts): 2xx within the timeout is healthy, anything else is an
 * error for the log. Redirects, rare for a health path, are handed to checkOnce, which follows them.
 */
import type { Socket } from "bun";
import { isDigit, isDigits } from "./chars.ts";
import { checkOnce, type HealthResult } from "./health-check.ts";
import type { HealthCheckConfig } from "./protocol.ts";

/** Longer heads fail the check rather than growing the buffer (Go's client allows about as much). */
const MAX_HEAD = 64 * 1024;
/**
 * The blank line that ends a head, its lines ending in CRLF or a bare LF (what /\r?\n\r?\n/ finds, from
 * `from`): where it starts and how long it is. Loops rather than regexes here: a health check runs every
 * second for the life of the proxy (see chars.ts for why the idle paths run no regex).
 */
export function findHeadEnd(buf: string, from: number): { index: number; length: number } | undefined {
  for (let n = buf.indexOf("\n", from); n >= 0; n = buf.indexOf("\n", n + 1)) {
    let next = n + 1;
    if (buf.charCodeAt(next) === 13) next++;
    if (buf.charCodeAt(next) !== 10) continue;
    const index = n > from && buf.charCodeAt(n - 1) === 13 ? n - 1 : n;
    return { index, length: next + 1 - index };
  }
  return undefined;
}

/** The status of a head's status line, `HTTP/1.x NNN` followed by a blank, a line end or nothing; else undefined. */
export function statusOf(head: string): number | undefined {
  if (!head.startsWith("HTTP/1.") || !isDigit(head.charCodeAt(7)) || head.charCodeAt(8) !== 32) return undefined;
  if (head.length < 12 || !isDigits(head, 9, 12)) return undefined;
  const after = head.charCodeAt(12);
  if (head.length > 12 && after !== 32 && after !== 9 && after !== 13 && after !== 10) return undefined;
  return Number(head.slice(9, 12));
}

/** Errno codes as short log texts; other errors keep their own message. */
const ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "no such host",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
};

const describe = (e: unknown): string => ERRORS[(e as NodeJS.ErrnoException)?.code ?? ""] ?? ((e as Error)?.message || "connection failed");

export function probeHealth(url: string, cfg: HealthCheckConfig): Promise<HealthResult> {
  const u = URL.parse(url);
  if (u?.protocol !== "http:") return checkOnce(url, cfg, fetch);
  const deadline = Date.now() + cfg.timeout;
  // The URL keeps IPv6 literals bracketed; the socket wants the bare address.
  const hostname = u.hostname.startsWith("[") && u.hostname.endsWith("]") ? u.hostname.slice(1, -1) : u.hostname;
  let unsent = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${cfg.host || u.host}\r\nUser-Agent: kamal-proxy\r\nConnection: close\r\n\r\n`;

  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    let buf = "";
    // Every way out comes through here once: the timer is cleared and the socket closed, so a check
    // every second leaves nothing behind.
    const finish = (result: HealthResult | Promise<HealthResult>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.end();
      resolve(result);
    };
    const fail = (error: string): void => finish({ ok: false, error });
    const write = (s: Socket): void => {
      // A partial write is finished in `drain` (Bun does not buffer what the socket did not take).
      unsent = unsent.slice(s.write(unsent));
    };
    // One deadline from the connect to the end of the head, as fetch's AbortSignal.timeout was.
    const timer = setTimeout(() => fail("timeout"), cfg.timeout);

    /** One complete head: a result, or undefined for an interim (1xx) answer to skip. */
    const judge = (head: string): HealthResult | Promise<HealthResult> | undefined => {
      const code = statusOf(head);
      if (code === undefined) return { ok: false, error: "malformed response" };
      // Go's client skips 1xx answers (100 Continue, 103 Early Hints) and waits for the real one; 101 ends it.
      if (code >= 100 && code < 200 && code !== 101) return undefined;
      if (code >= 200 && code < 300) return { ok: true };
      if (code >= 300 && code < 400 && /\nlocation:[ \t]*\S/i.test(head)) {
        // Followed with fetch (to https too), within what is left of this check's timeout.
        return checkOnce(url, { ...cfg, timeout: Math.max(1, deadline - Date.now()) }, fetch);
      }
      return { ok: false, error: `unexpected status ${code}` };
    };

    Bun.connect({
      hostname,
      port: u.port ? Number(u.port) : 80,
      socket: {
        open(s) {
          socket = s;
          // The deadline passed while connecting.
          if (settled) return void s.end();
          write(s);
        },
        drain(s) {
          if (unsent) write(s);
        },
        data(_s, chunk) {
          let from = Math.max(0, buf.length - 3);
          buf += chunk.toString("latin1");
          while (!settled) {
            // Lines may end in a bare LF: Go's client accepts that, so an app answering so stays healthy.
            const m = findHeadEnd(buf, from);
            const end = m ? m.index : -1;
            if (end < 0 ? buf.length > MAX_HEAD : end > MAX_HEAD) return fail("response head too large");
            if (!m) return;
            const result = judge(buf.slice(0, end + 1));
            if (result) return finish(result);
            buf = buf.slice(end + m.length);
            from = 0;
          }
        },
        end: () => fail("connection closed before the response"),
        close: () => fail("connection closed before the response"),
        error: (_s, e) => fail(describe(e)),
      },
    }).catch((e) => fail(describe(e)));
  });
}
