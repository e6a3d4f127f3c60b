/**
 * Keep-alive connections to the targets, on Bun's TCP sockets in the JS thread (Bun's fetch() hands
 * every request to its own HTTP thread and back, which cost more than the rest of the fast lane). Idle
 * connections are kept per target up to a bound, like Go's MaxIdleConnsPerHost, and dropped when the
 * target closes them or after an idle timeout, like Go's IdleConnTimeout.
 */
import type { Socket } from "bun";
import { ResponseReader } from "./response-reader.ts";

interface UpstreamData {
  target: string;
  reader: ResponseReader;
  /** Has carried a request before (a failure before any answer may then be a stale connection: retried). */
  reused: boolean;
  closed: boolean;
  idleSince: number;
  /** Carrying a request now (not in the idle list): a close then ends or cuts that response. */
  inUse: boolean;
  /** Back-pressure towards the upstream: the request head is small, but a write may still be partial. */
  unsent: Uint8Array | undefined;
}

export type UpstreamSocket = Socket<UpstreamData>;

const MAX_IDLE_PER_TARGET = 100;
const IDLE_TIMEOUT_MS = 90_000;

/** "host:port" or "[v6]:port" into its parts. */
function splitAddress(address: string): { hostname: string; port: number } {
  const colon = address.lastIndexOf(":");
  let hostname = colon < 0 ? address : address.slice(0, colon);
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  return { hostname, port: colon < 0 ? 80 : Number(address.slice(colon + 1)) };
}

export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamSocket[]>();
  private sweeper: ReturnType<typeof setInterval> | undefined;

  /** An idle connection to the target, if one is kept. */
  take(target: string): UpstreamSocket | undefined {
    const list = this.idle.get(target);
    while (list?.length) {
      const s = list.pop()!;
      if (!s.data.closed) {
        s.data.inUse = true;
        return s;
      }
    }
    return undefined;
  }

  /** A new connection; rejects when the target cannot be reached. */
  async connect(target: string): Promise<UpstreamSocket> {
    const { hostname, port } = splitAddress(target);
    const data: UpstreamData = { target, reader: new ResponseReader(), reused: false, closed: false, idleSince: 0, inUse: true, unsent: undefined };
    return Bun.connect<UpstreamData>({
      hostname,
      port,
      data,
      socket: {
        data: (s, chunk) => s.data.reader.feed(chunk),
        drain: (s) => {
          const rest = s.data.unsent;
          if (!rest) return;
          const n = s.write(rest);
          s.data.unsent = n < rest.length ? rest.subarray(n) : undefined;
        },
        close: (s) => this.gone(s),
        end: (s) => {
          s.end();
        },
        error: (s) => this.gone(s),
      },
    });
  }

  /** Sends an ASCII request head, keeping what the socket did not take for its next drain. */
  send(s: UpstreamSocket, text: string): void {
    if (s.data.unsent) {
      s.data.unsent = Buffer.concat([s.data.unsent, Buffer.from(text)]);
      return;
    }
    const n = s.write(text);
    if (n < text.length) s.data.unsent = Buffer.from(text).subarray(Math.max(n, 0));
  }

  /** Back into the pool when the response ended cleanly and the target keeps the connection open. */
  release(s: UpstreamSocket): void {
    s.data.inUse = false;
    s.resume();
    if (s.data.closed || !s.data.reader.canReuse || s.data.unsent) return void s.end();
    let list = this.idle.get(s.data.target);
    if (!list) this.idle.set(s.data.target, (list = []));
    if (list.length >= MAX_IDLE_PER_TARGET) return void s.end();
    s.data.reused = true;
    s.data.idleSince = performance.now();
    list.push(s);
    this.sweeper ??= setInterval(() => this.sweep(), 10_000);
    this.sweeper.unref?.();
  }

  /** Closes a connection whose response was given up. */
  discard(s: UpstreamSocket): void {
    s.data.inUse = false;
    s.data.reader.abandon();
    s.data.closed = true;
    s.terminate();
  }

  closeAll(): void {
    for (const list of this.idle.values()) for (const s of list) s.end();
    this.idle.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private gone(s: UpstreamSocket): void {
    if (s.data.closed) return;
    s.data.closed = true;
    if (s.data.inUse) s.data.reader.closed();
    else {
      const list = this.idle.get(s.data.target);
      const i = list?.indexOf(s) ?? -1;
      if (i >= 0) list!.splice(i, 1);
    }
  }

  private sweep(): void {
    const oldest = performance.now() - IDLE_TIMEOUT_MS;
    for (const [target, list] of this.idle) {
      const keep = list.filter((s) => !s.data.closed && s.data.idleSince > oldest);
      for (const s of list) if (!keep.includes(s)) s.end();
      if (keep.length) this.idle.set(target, keep);
      else this.idle.delete(target);
    }
  }
}
