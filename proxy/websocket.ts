/**
 * WebSocket pass-through. Bun cannot hand over the raw socket after a 101, so the proxy opens a client
 * WebSocket to the upstream first (so a refusal becomes a 502 before the client is upgraded), then
 * upgrades the client with Bun.serve and relays messages and close codes both ways.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { RequestContext } from "./context.ts";
import { renderErrorPage, type PageSet } from "./error-pages.ts";
import { prepareUpstreamHeaders } from "./headers.ts";
import type { TargetOptions } from "./protocol.ts";
import type { Inflight } from "./target.ts";

type Message = string | ArrayBuffer | Uint8Array | Buffer;

export interface Relay {
  server: Server<any>;
  upstream: WebSocket;
  client?: ServerWebSocket<Relay>;
  pending: Message[];
  closed: boolean;
  done: () => void;
}

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

export async function proxyWebSocket(
  ctx: RequestContext,
  target: string,
  inflight: Inflight,
  options: TargetOptions,
  pages?: PageSet,
): Promise<Response | undefined> {
  const server = ctx.conn.server as Server<Relay> | undefined;
  if (!server) return renderErrorPage(502, "", pages);
  const headers = prepareUpstreamHeaders(ctx.headers, {
    forwardHeaders: options.forward_headers,
    peerIp: ctx.conn.remoteAddr,
    tls: ctx.conn.tls,
    host: ctx.host,
    target,
  });
  const protocols = (ctx.req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  for (const h of ["sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"]) headers.delete(h);
  const headerObj: Record<string, string> = {};
  headers.forEach((v, k) => (headerObj[k] = v));

  const url = `ws://${target}${ctx.strippedPath}${ctx.query ? `?${ctx.query}` : ""}`;
  const upstream = new WebSocket(url, { headers: headerObj, protocols } as unknown as string[]);
  upstream.binaryType = "arraybuffer";
  const relay: Relay = {
    server,
    upstream,
    pending: [],
    closed: false,
    done: () => {
      open.delete(relay);
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
    if (relay.client) relay.client.send(e.data as Message);
    else relay.pending.push(e.data as Message);
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
  maxPayloadLength: 4294967295,
  backpressureLimit: 0,
  idleTimeout: 0,
  open(ws) {
    const relay = ws.data;
    relay.client = ws;
    if (relay.closed) return void ws.close(1001, "");
    for (const m of relay.pending) ws.send(m);
    relay.pending = [];
  },
  message(ws, message) {
    ws.data.upstream.send(message);
  },
  close(ws, code, reason) {
    const relay = ws.data;
    if (relay.closed) return;
    relay.closed = true;
    relay.upstream.close(sendable(code), reason);
    relay.done();
  },
};
