/**
 * Client-side timeouts, so slow or idle clients cannot hold connections (and file descriptors) for ever.
 *
 * Bun.serve has one inactivity timer per connection (`idleTimeout`, whole seconds, at most 255) that
 * also runs while a request is being handled. The proxy uses it like this:
 *   - the listener's `idleTimeout` is the header-read timeout: a new connection must keep sending its
 *     request line and headers;
 *   - while a request is handled the timer is off (`server.timeout(req, 0)`): a slow upstream is
 *     `--target-timeout`'s business, a long response or an upgraded WebSocket must never be cut;
 *   - once the response is fully handed to Bun the timer is set to the idle timeout, which bounds the
 *     keep-alive wait (and, on that connection, the next request's headers);
 *   - the request body has its own per-read timer (`body-watch.ts`): a client that stops sending gets 408,
 *     one that keeps sending, however slowly, is never cut.
 * Bun's timer is an inactivity timer, so a client that trickles header bytes resets it; a total header
 * deadline (Go's ReadHeaderTimeout) is not possible on Bun.serve. Clients never reach the chain's
 * Bun.serve directly, though: the front ends (fast/front.ts) keep real deadlines for the header read and
 * the keep-alive wait, and these timers bound the chain's side of their links.
 */
import type { Server } from "bun";

export interface ConnTimeouts {
  /** Milliseconds; 0 turns a timeout off. */
  readHeader: number;
  idle: number;
  requestBody: number;
}

export const DEFAULT_CONN_TIMEOUTS: ConnTimeouts = { readHeader: 30_000, idle: 60_000, requestBody: 60_000 };

/** Bun's timer takes whole seconds, 0 (off) to 255. */
const MAX_BUN_TIMEOUT_MS = 255_000;

export function bunSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.min(255, Math.ceil(ms / 1000));
}

export function timeoutProblem(name: string, ms: number): string | undefined {
  if (ms < 0) return `${name} must not be negative`;
  if (ms > MAX_BUN_TIMEOUT_MS) return `${name} must be at most 255s`;
  return undefined;
}

/** Switches a connection's inactivity timer between "handling" (off) and "idle" (the keep-alive limit). */
export class ConnTimer {
  readonly enabled: boolean;
  private readonly idleSeconds: number;

  constructor(t: ConnTimeouts) {
    this.idleSeconds = bunSeconds(t.idle);
    this.enabled = bunSeconds(t.readHeader) > 0 || this.idleSeconds > 0;
  }

  handling(server: Server<any> | undefined, req: Request): void {
    if (this.enabled && server) server.timeout(req, 0);
  }

  idle(server: Server<any> | undefined, req: Request): void {
    if (this.enabled && server) server.timeout(req, this.idleSeconds);
  }
}
