/**
 * WebSocket pass-through. Bun cannot hand over the raw socket after a 101, so the proxy opens a client
 * WebSocket to the upstream first (so a refusal becomes a 502 before the client is upgraded), then
 * upgrades the client with Bun.serve and relays messages and close codes both ways.
 *
 * Back-pressure flows both ways: when one side has more than RELAY_HIGH_WATER bytes queued and unsent,
 * the proxy stops reading from the other side (pause()), so that side's TCP window closes and its sender
 * waits, and resumes once the queue is below RELAY_LOW_WATER. What one connection can hold in the proxy
 * is thus bounded by the high-water mark plus the messages already read when it was reached.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { RequestContext } from "./context.ts";
import { type PageSet, renderErrorPage } from "./error-pages.ts";
import { pipelineGuard } from "./forward.ts";
import { prepareUpstreamHeaders } from "./headers.ts";
import type { TargetOptions } from "./protocol.ts";
import type { Inflight } from "./target.ts";

type Message = string | ArrayBuffer | Uint8Array | Buffer;

/** Bun's client WebSocket can stop reading its socket (the DOM type the compiler sees does not say so). */
type PausableWebSocket = WebSocket & { pause(): boolean; resume(): boolean; readonly isPaused: boolean };

export interface Relay {
  server: Server<any>;
  upstream: PausableWebSocket;
  client?: ServerWebSocket<Relay>;
  pending: Message[];
  closed: boolean;
  done: () => void;
  /** Polls the upstream's queue while the client is paused (Bun's client WebSocket has no drain event). */
  upstreamDrainTimer?: ReturnType<typeof setInterval>;
}

/** Queued bytes on one side above which the other side is no longer read. */
const RELAY_HIGH_WATER = 1 << 20;
const RELAY_LOW_WATER = 256 * 1024;
const UPSTREAM_DRAIN_POLL_MS = 10;

const open = new Set<Relay>();

/** Graceful shutdown does not wait for upgraded connections (as kamal-proxy), so they are closed. */
export function closeRelays(servers: readonly Server<any>[]): void {
  for (const relay of [...open]) {
    if (!servers.includes(relay.server)) continue;
    relay.closed = true;
    relay.client?.close(1001, "");
    relay.upstream.close(1001);
    relay.done();
  }
}

/** Close codes that may not be sent on the wire are replaced by a plain normal closure. */
const sendable = (code: number): number => (code === 1005 || code === 1006 || code === 1015 || code < 1000 ? 1000 : code);

export async function proxyWebSocket(ctx: RequestContext, target: string, inflight: Inflight, options: TargetOptions, pages?: PageSet): Promise<Response | undefined> {
  const server = ctx.conn.server as Server<Relay> | undefined;
  if (!server) return renderErrorPage(502, "", pages);
  const headers = prepareUpstreamHeaders(ctx.headers, {
    forwardHeaders: options.forward_headers,
    peerIp: ctx.conn.remoteAddr,
    tls: ctx.conn.tls,
    host: ctx.host,
    target,
  });
  const protocols = (ctx.req.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const h of ["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"]) headers.delete(h);
  const headerObj: Record<string, string> = {};
  headers.forEach((v, k) => {
    headerObj[k] = v;
  });

  // As in forward.ts: a pipelined request behind this one makes Bun drop the connection a few turns later.
  await pipelineGuard();
  if (ctx.req.signal.aborted) {
    ctx.loggedStatus = 499;
    return new Response(null, { status: 499 });
  }
  const url = `ws://${target}${ctx.strippedPath}${ctx.query ? `?${ctx.query}` : ""}`;
  const upstream = new WebSocket(url, { headers: headerObj, protocols } as unknown as string[]) as PausableWebSocket;
  upstream.binaryType = "arraybuffer";
  const relay: Relay = {
    server,
    upstream,
    pending: [],
    closed: false,
    done: () => {
      open.delete(relay);
      if (relay.upstreamDrainTimer) clearInterval(relay.upstreamDrainTimer);
      ctx.finish();
    },
  };

  const opened = await new Promise<"open" | "error" | "timeout">((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), options.response_timeout);
    upstream.onopen = () => (clearTimeout(timer), resolve("open"));
    upstream.onerror = () => (clearTimeout(timer), resolve("error"));
    upstream.onclose = () => (clearTimeout(timer), resolve("error"));
  });
  if (opened !== "open") {
    upstream.close();
    return renderErrorPage(opened === "timeout" ? 504 : 502, "", pages);
  }

  upstream.onmessage = (e) => {
    const client = relay.client;
    if (!client) {
      relay.pending.push(e.data as Message);
      // Not upgraded yet: hold the upstream until the client can take what is pending.
      if (relay.pending.length > 16) upstream.pause();
      return;
    }
    client.send(e.data as Message);
    // The client is not keeping up: stop reading from the upstream until websocketHandler.drain.
    if (client.getBufferedAmount() > RELAY_HIGH_WATER && !upstream.isPaused) upstream.pause();
  };
  upstream.onclose = (e) => {
    if (relay.closed) return;
    relay.closed = true;
    relay.client?.close(sendable(e.code), e.reason);
    relay.done();
  };
  inflight.closeHijacked = () => {
    relay.closed = true;
    relay.client?.close(1001, "");
    upstream.close(1001);
    relay.done();
  };

  const upgradeHeaders = upstream.protocol ? { "sec-websocket-protocol": upstream.protocol } : undefined;
  if (!server.upgrade(ctx.req, { data: relay, headers: upgradeHeaders })) {
    upstream.close();
    return new Response("Bad Request", { status: 400 });
  }
  ctx.hijacked = true;
  open.add(relay);
  return undefined;
}

export const websocketHandler: WebSocketHandler<Relay> = {
  // kamal-proxy copies bytes with no limits or timeouts; Bun's defaults (16 MB messages, 120 s idle
  // timeout, dropping sends past 16 MB of backlog) would break long-lived or bulky connections.
  // Bun's backpressureLimit would drop messages, never slow the sender: the relay pauses reading instead.
  maxPayloadLength: 4294967295,
  backpressureLimit: 0,
  idleTimeout: 0,
  open(ws) {
    const relay = ws.data;
    relay.client = ws;
    if (relay.closed) return void ws.close(1001, "");
    for (const m of relay.pending) ws.send(m);
    relay.pending = [];
    if (relay.upstream.isPaused && ws.getBufferedAmount() <= RELAY_HIGH_WATER) relay.upstream.resume();
  },
  message(ws, message) {
    const relay = ws.data;
    const upstream = relay.upstream;
    upstream.send(message);
    // The upstream is not keeping up: stop reading from the client until the upstream's queue drains.
    if (upstream.bufferedAmount > RELAY_HIGH_WATER && !relay.upstreamDrainTimer) {
      ws.pause();
      relay.upstreamDrainTimer = setInterval(() => {
        if (relay.closed || upstream.bufferedAmount <= RELAY_LOW_WATER) {
          clearInterval(relay.upstreamDrainTimer);
          relay.upstreamDrainTimer = undefined;
          if (!relay.closed) ws.resume();
        }
      }, UPSTREAM_DRAIN_POLL_MS);
    }
  },
  drain(ws) {
    const upstream = ws.data.upstream;
    if (upstream.isPaused && ws.getBufferedAmount() <= RELAY_LOW_WATER) upstream.resume();
  },
  close(ws, code, reason) {
    const relay = ws.data;
    if (relay.closed) return;
    relay.closed = true;
    relay.upstream.close(sendable(code), reason);
    relay.done();
  },
};
