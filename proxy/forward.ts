/**
 * The last stage: send the request to one target and relay the answer. It applies the response-header
 * timeout (504), request/response buffering with body limits (413/500), drain cancellation (504),
 * client disconnects (499), streaming otherwise (SSE is never buffered), and cookie path scoping.
 */

import { type WatchedBody, watchBody } from "./body-watch.ts";
import { type BufferedBody, BufferTooLargeError, bufferBody } from "./buffer.ts";
import type { RequestContext } from "./context.ts";
import { scopeSetCookie } from "./cookies.ts";
import { deadline } from "./deadlines.ts";
import { type PageSet, renderErrorPage } from "./error-pages.ts";
import { prepareUpstreamHeaders, removeHopByHop } from "./headers.ts";
import type { FetchLike } from "./health-check.ts";
import type { TargetOptions } from "./protocol.ts";
import { DRAIN_ABORT, type Inflight } from "./target.ts";

export interface ForwardInput {
  ctx: RequestContext;
  target: string;
  inflight: Inflight;
  options: TargetOptions;
  pages?: PageSet;
  fetch: FetchLike;
  log?: (level: "INFO" | "ERROR", msg: string, attrs: Record<string, unknown>) => void;
  /** Longest wait for the client's next request-body bytes (ms, 0 = none). */
  bodyTimeout?: number;
}

const TIMEOUT_ABORT = "target-timeout";
const BODY_TIMEOUT_ABORT = "request-body-timeout";
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const SMALL_BODY = 64 * 1024;
const ONCE = { once: true };

export async function forwardRequest(input: ForwardInput): Promise<Response> {
  const { ctx, target, inflight, options, pages } = input;
  const req = ctx.req;
  const headers = prepareUpstreamHeaders(ctx.headers, {
    forwardHeaders: options.forward_headers,
    peerIp: ctx.conn.remoteAddr,
    tls: ctx.conn.tls,
    host: ctx.host,
    target,
  });
  // Go's transport asks for gzip and decompresses transparently only when the client did not ask for
  // an encoding itself; otherwise the upstream's encoding passes through untouched.
  const decompress = !req.headers.has("accept-encoding");

  // The in-flight entry's controller doubles as the fetch's: a drain aborts it with DRAIN_ABORT, the
  // header timeout, a stalled upload and a vanished client with their own reasons (one controller per
  // request is cheaper).
  const abort = inflight.controller;

  // --target-timeout bounds only the wait for response headers after the whole request has been sent:
  // for a streamed body it starts when the client's last byte has been read, not before.
  let cancelTimeout: (() => void) | undefined;
  let answered = false;
  const startTargetTimeout = () => {
    if (!answered && !cancelTimeout) cancelTimeout = deadline(options.response_timeout, () => abort.abort(TIMEOUT_ABORT));
  };

  let body: BodyInit | null = req.body;
  let watched: WatchedBody | undefined;
  if (body && req.headers.get("content-length") !== "0") {
    const w = (watched = watchBody(req.body!, input.bodyTimeout ?? 0, startTargetTimeout, () => abort.abort(BODY_TIMEOUT_ABORT)));
    ctx.onFinish(() => w.dispose());
    body = w.stream;
  } else body = null;
  let requestBuffer: BufferedBody | undefined;
  if (watched && options.buffer_requests) {
    try {
      requestBuffer = await bufferBody(watched.stream, options.max_memory_buffer_size, options.max_request_body_size);
    } catch (e) {
      if (e instanceof BufferTooLargeError) return renderErrorPage(413, "", pages);
      if (watched.timedOut) return bodyTimedOut(pages);
      if (req.signal.aborted) return clientGone(ctx);
      return renderErrorPage(500, "", pages);
    }
    body = requestBuffer.body;
    headers.delete("content-length");
    ctx.onFinish(() => requestBuffer!.dispose());
  }

  // Bun.serve drops a connection on which a pipelined request follows one still being handled, and
  // aborts the first request's signal only some event-loop turns later: one on plain HTTP, three over
  // TLS (measured, idle and under load). Sending nothing upstream before then means such a request is
  // never executed by the app (see pipelining.test.ts). The front ends hand the chain one request at a
  // time over plain loopback links, HTTPS ones included, so this only matters for links they relay raw.
  await pipelineGuard();
  if (req.signal.aborted) return clientGone(ctx);
  // Left in place when the request is over: Bun never aborts a finished request's signal (checked), and
  // aborting a spent controller would do nothing anyway; removing it was ~2 % of a request's CPU.
  req.signal.addEventListener("abort", () => abort.abort("client"), ONCE);
  if (!watched || requestBuffer) startTargetTimeout();

  const url = `http://${target}${ctx.strippedPath}${ctx.query ? `?${ctx.query}` : ""}`;
  const init = { method: req.method, headers, body, redirect: "manual", signal: abort.signal, decompress, duplex: "half" } as RequestInit;
  let upstream: Response;
  try {
    // Bun's fetch itself retries a request whose pooled keep-alive connection the upstream had just
    // closed (as Go's transport does), so no retry here.
    upstream = await input.fetch(url, init);
  } catch (e) {
    const reason = abort.signal.reason;
    if (reason === BODY_TIMEOUT_ABORT) return bodyTimedOut(pages);
    if (reason === "client" || req.signal.aborted) return clientGone(ctx);
    if (reason === DRAIN_ABORT) {
      input.log?.("INFO", "Request cancelled due to draining", { target });
      return renderErrorPage(504, "", pages);
    }
    if (reason === TIMEOUT_ABORT) return renderErrorPage(504, "", pages);
    input.log?.("ERROR", "Error while proxying", { target, path: ctx.path, error: (e as Error).message });
    return renderErrorPage(502, "", pages);
  } finally {
    answered = true;
    cancelTimeout?.();
  }

  // The upstream's own header list is edited in place (Bun's are mutable): one copy less per request.
  const out = upstream.headers;
  removeHopByHop(out);
  if (decompress && out.has("content-encoding")) {
    out.delete("content-encoding");
    out.delete("content-length");
  }
  if (options.scope_cookie_paths && ctx.matchedPrefix !== "/") {
    const cookies = out.getSetCookie();
    if (cookies.length) {
      out.delete("set-cookie");
      for (const c of cookies) out.append("set-cookie", scopeSetCookie(c, ctx.matchedPrefix, ctx.hostname));
    }
  }
  // A HEAD answer has no body (Bun's fetch gives it none). `upstream.body` is not read on the common
  // path: reading it turns the body into a JS stream, which costs more than reading the bytes at once.
  if (NULL_BODY.has(upstream.status) || req.method === "HEAD") return nullBody(upstream, out);

  const contentType = out.get("content-type") ?? "";
  const streaming = /^text\/event-stream\s*(;|$)/i.test(contentType);
  if (options.buffer_responses && !streaming) {
    if (!upstream.body) return nullBody(upstream, out);
    let buffered: BufferedBody;
    try {
      buffered = await bufferBody(upstream.body, options.max_memory_buffer_size, options.max_response_body_size);
    } catch (e) {
      if (req.signal.aborted) return clientGone(ctx);
      if (e instanceof BufferTooLargeError) input.log?.("INFO", "Response exceeded max response limit", { target });
      else if (abort.signal.reason === DRAIN_ABORT) return renderErrorPage(504, "", pages);
      return renderErrorPage(500, "", pages);
    }
    ctx.onFinish(() => buffered.dispose());
    if (!buffered.spilled) ctx.knownLength = buffered.size;
    out.set("content-length", String(buffered.size));
    const init = { status: upstream.status, statusText: upstream.statusText, headers: out };
    return buffered.body instanceof Uint8Array ? bytesResponse(buffered.body, init) : new Response(buffered.body, init);
  }
  // Small bodies of known length are read at once: cheaper in Bun than relaying them through a stream.
  const length = Number(out.get("content-length") ?? NaN);
  if (!streaming && length <= SMALL_BODY) {
    let bytes: ArrayBuffer;
    try {
      bytes = await upstream.arrayBuffer();
    } catch {
      if (req.signal.aborted) return clientGone(ctx);
      return renderErrorPage(abort.signal.reason === DRAIN_ABORT ? 504 : 502, "", pages);
    }
    ctx.knownLength = bytes.byteLength;
    return bytesResponse(new Uint8Array(bytes), { status: upstream.status, statusText: upstream.statusText, headers: out });
  }
  const stream = upstream.body;
  if (!stream) return nullBody(upstream, out);
  return new Response(stream, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

function nullBody(upstream: Response, headers: Headers): Response {
  return new Response(null, { status: upstream.status, statusText: upstream.statusText, headers });
}

/**
 * A body already in memory, sent as cheaply as Bun allows. Bun writes a buffer body produced after
 * an `await` in many small send() calls once headers and body pass ~16 KiB (only the synchronous
 * part of a handler is corked); the same bytes written to a direct stream in one write and one
 * flush leave in two. Small bodies are cheaper as a plain buffer (no stream to set up).
 */
const DIRECT_STREAM_FROM = 16 * 1024;

function bytesResponse(bytes: Uint8Array<ArrayBuffer>, init: ResponseInit & { headers: Headers }): Response {
  if (bytes.byteLength < DIRECT_STREAM_FROM) return new Response(bytes, init);
  init.headers.set("content-length", String(bytes.byteLength));
  const body = new ReadableStream({
    type: "direct",
    pull(controller: { write(chunk: Uint8Array): unknown; flush(): unknown; close(): unknown }) {
      controller.write(bytes);
      controller.flush();
      controller.close();
    },
  } as unknown as UnderlyingDefaultSource<Uint8Array>);
  return new Response(body, init);
}

/** The client stopped sending its body: 408, and the connection closes (the rest of the body is unread). */
function bodyTimedOut(pages: PageSet | undefined): Response {
  return renderErrorPage(408, "", pages, { connection: "close" });
}

/**
 * The event-loop turn Bun.serve takes to abort a request whose plain-HTTP connection it dropped (see
 * above). Every connection the chain gets is a plain one: its own TLS (HTTP/3) has no pipelining.
 */
export function pipelineGuard(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The client went away: nothing to send, logged as 499. */
function clientGone(ctx: RequestContext): Response {
  ctx.loggedStatus = 499;
  return new Response(null, { status: 499 });
}
