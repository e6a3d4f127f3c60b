/**
 * One request on the fast lane, from the routed service to the answer: the same steps and results as
 * the chain's service → forward stages for the requests the fast lane takes (GET/HEAD without a body to
 * a running service that needs no redirect, auth or rollout choice; `servesFast` decides), but on raw
 * sockets: the request head is written to a pooled upstream connection as one string, and the answer is
 * re-framed for the client as it arrives, with back-pressure both ways.
 */

import type { Transform } from "node:stream";
import type { Clock } from "../clock.ts";
import { hostWithoutPort } from "../context.ts";
import { getCookie, scopeSetCookie } from "../cookies.ts";
import { deadline } from "../deadlines.ts";
import { statusText } from "../error-pages.ts";
import { FORWARDING_HEADERS, forwardingValues, HOP_BY_HOP } from "../headers.ts";
import { WRITER_COOKIE } from "../load-balancer.ts";
import type { LoggedRequest, Logger } from "../logging.ts";
import type { Metrics } from "../metrics.ts";
import type { RouteMatch } from "../router.ts";
import type { Service } from "../service.ts";
import type { Inflight, Target } from "../target.ts";
import { chunk, DECODERS, type Zlib } from "./framing.ts";
import { connectionDrops, HeaderList } from "./header-list.ts";
import { isEventStream } from "./http-chars.ts";
import { PAGE_HEADERS, pageAnswer } from "./page-answer.ts";
import { headerValue, type RequestHead } from "./request-head.ts";
import type { ResponseHead, ResponseSink } from "./response-reader.ts";
import type { UpstreamPool, UpstreamSocket } from "./upstream-pool.ts";

export interface FastDeps {
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  pool: UpstreamPool;
  /** The configured listener port, as the request log shows it. */
  port: number;
  /** An `Alt-Svc` value for every answer (the HTTPS front end with --http3). */
  altSvc?: () => string;
}

/** The client connection as an exchange sees it. */
export interface ClientSide {
  readonly remoteAddr: string;
  readonly remotePort: number;
  /** The client came over HTTPS (the TLS front end). */
  readonly tls: boolean;
  /** Queues bytes for the client; false when the socket is backed up (then `onDrained` is called once it empties). */
  send(bytes: Uint8Array | string): boolean;
  onDrained: (() => void) | undefined;
  /** The proxy is shutting down: this answer is the connection's last (it says `Connection: close`). */
  readonly lastAnswer: boolean;
  /** The exchange is over; `keepAlive` false closes the connection once everything queued is sent. */
  done(keepAlive: boolean): void;
}

const HOP = new Set(HOP_BY_HOP);
const FORWARDING = new Set(FORWARDING_HEADERS);

/**
 * Starts the exchange, or returns false without any side effect when the service has no target to
 * give (the chain then answers 503 as before).
 */
export function startExchange(deps: FastDeps, client: ClientSide, head: RequestHead, match: RouteMatch, path: string): Exchange | undefined {
  const s = match.service;
  const headers = new HeaderList(head.names, head.values);
  const pick = s.active.pick(true, getCookie(headers.get("cookie"), WRITER_COOKIE), deps.clock.now());
  if (!pick) return undefined;
  const inflight = pick.target.claim();
  if (!inflight) return undefined;
  const x = new Exchange(deps, client, head, headers, match, path, pick.target, inflight);
  x.begin();
  return x;
}

export class Exchange implements ResponseSink, LoggedRequest {
  readonly startedAt = performance.now();
  readonly service: string;
  readonly target: string;
  remoteAddr: string;
  readonly conn: { port: number; remoteAddr: string; remotePort: number; tls: boolean };
  readonly req: { method: string; headers: HeaderList; body: null };
  readonly headers: { get(name: string): string | null };
  /** See LoggedRequest: request-head.ts lets nothing into path and query that JSON would escape. */
  readonly jsonSafe = true;
  private requestId = "";
  private readonly s: Service;
  private up: UpstreamSocket | undefined;
  private retried = false;
  private finished = false;
  private gotHead = false;
  private status = 0;
  private bytes = 0;
  private respHeaders: { get(name: string): string | null } | undefined;
  private cancelTimeout: (() => void) | undefined;
  private countedInflight = false;
  /** The response head, held back to leave in one write with the first payload bytes. */
  private heldHead: string | undefined;
  private chunked = false;
  /** `buffer_responses`: the payload is collected and sent whole, with its length. */
  private collected: Uint8Array[] | undefined;
  private closeAfter = false;
  /** Go's transport decompresses for a client that asked for no encoding; so does the fast lane. */
  private decoder: Transform | undefined;

  constructor(
    private readonly deps: FastDeps,
    private readonly client: ClientSide,
    private readonly rh: RequestHead,
    reqHeaders: HeaderList,
    private readonly match: RouteMatch,
    private readonly upstreamPath: string,
    private readonly targetRef: Target,
    private readonly inflight: Inflight,
  ) {
    this.s = match.service;
    this.service = this.s.name;
    this.target = targetRef.address;
    this.conn = { port: deps.port, remoteAddr: client.remoteAddr, remotePort: client.remotePort, tls: client.tls };
    this.req = { method: rh.method, headers: reqHeaders, body: null };
    this.remoteAddr = reqHeaders.get("x-forwarded-for") ?? client.remoteAddr;
    this.headers = { get: (name) => (name === "x-request-id" ? this.requestId : reqHeaders.get(name)) };
    this.closeAfter = rh.close;
  }

  /** The path as received (the app may see it with a prefix stripped). */
  get path(): string {
    return this.rh.path;
  }
  get host(): string {
    return this.rh.host;
  }
  get query(): string {
    return this.rh.query;
  }

  begin(): void {
    const { metrics } = this.deps;
    if (metrics.enabled && !this.s.options.exclude_metrics_paths?.includes(this.upstreamPath)) {
      metrics.inflight(this.service, 1);
      this.countedInflight = true;
    }
    this.inflight.cancel = () => this.drained();
    this.cancelTimeout = deadline(this.s.targetOptions.response_timeout, () => this.timedOut());
    const pooled = this.deps.pool.take(this.target);
    if (pooled) this.send(pooled);
    else this.connect();
  }

  private connect(): void {
    this.deps.pool.connect(this.target).then(
      (up) => {
        if (this.finished) return this.deps.pool.discard(up);
        this.send(up);
      },
      (e: Error) => {
        if (this.finished) return;
        this.deps.logger.error("Error while proxying", { target: this.target, path: this.rh.path, error: e.message });
        this.answerWithPage(502);
      },
    );
  }

  private send(up: UpstreamSocket): void {
    this.up = up;
    up.data.reader.expect(this, this.rh.method === "HEAD");
    // The head is ASCII (request-head.ts lets nothing else through), so the string is written as it is.
    this.deps.pool.send(up, this.upstreamHead());
  }

  /** The request head the app sees: the client's headers less hop-by-hop ones, plus kamal-proxy's forwarding headers. */
  private upstreamHead(): string {
    const { names, values } = this.rh;
    const h = this.req.headers;
    const drop = connectionDrops(h.get("connection"));
    let out = `${this.rh.method} ${this.upstreamPath}${this.rh.query ? `?${this.rh.query}` : ""} HTTP/1.1\r\n`;
    let hasId = false;
    let hasStart = false;
    let hasAgent = false;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (HOP.has(name) || FORWARDING.has(name) || drop?.includes(name)) {
        if (name === "te" && !drop?.includes("te") && values[i]!.toLowerCase() === "trailers") out += "te: trailers\r\n";
        continue;
      }
      if (name === "x-request-id") {
        if (hasId) continue;
        hasId = true;
        this.requestId = h.get(name)!;
      } else if (name === "x-request-start") hasStart = true;
      else if (name === "user-agent") hasAgent = true;
      out += `${name}: ${values[i]}\r\n`;
    }
    if (!hasStart) out += `x-request-start: t=${this.deps.clock.now()}\r\n`;
    if (!hasId) {
      this.requestId = crypto.randomUUID();
      out += `x-request-id: ${this.requestId}\r\n`;
    }
    if (!hasAgent) out += "user-agent: \r\n";
    const forwarding = { forwardHeaders: this.s.targetOptions.forward_headers, peerIp: this.client.remoteAddr, tls: this.client.tls, host: this.rh.host, target: this.target };
    for (const [name, value] of forwardingValues(h, forwarding)) out += `${name}: ${value}\r\n`;
    return `${out}\r\n`;
  }

  // ---- the answer (ResponseSink)

  head(r: ResponseHead): void {
    if (this.finished) return;
    this.gotHead = true;
    this.cancelTimeout?.();
    this.status = r.status;
    const o = this.s.targetOptions;
    const drop = connectionDrops(headerValue(r, "connection"));
    let dropEncoding = drop?.includes("content-encoding") ?? false;
    const scope = o.scope_cookie_paths && this.s.options.strip_prefix && this.match.prefix !== "/";
    const coding = this.req.headers.get("accept-encoding") === null ? headerValue(r, "content-encoding") : null;
    if (coding !== null) {
      if (!r.empty) this.decoder = this.decoding(coding.trim().toLowerCase());
      if (this.decoder || r.empty) dropEncoding = true;
    }
    const names: string[] = [];
    const values: string[] = [];
    let out = `HTTP/1.1 ${r.status} ${r.reason || statusText(r.status)}\r\n`;
    for (let i = 0; i < r.names.length; i++) {
      const name = r.names[i]!;
      if (HOP.has(name) || name === "content-length" || (dropEncoding && name === "content-encoding") || drop?.includes(name) || (name === "alt-svc" && this.deps.altSvc)) continue;
      let value = r.values[i]!;
      if (scope && name === "set-cookie") value = scopeSetCookie(value, this.match.prefix, hostWithoutPort(this.rh.host));
      names.push(name);
      values.push(value);
      out += `${name}: ${value}\r\n`;
    }
    if (this.deps.altSvc) out += `alt-svc: ${this.deps.altSvc()}\r\n`;
    this.respHeaders = new HeaderList(names, values);
    if (r.empty) {
      // HEAD, 204, 304: the upstream's length (if any) describes a body that is not sent.
      const length = headerValue(r, "content-length");
      if (length !== null && r.status !== 204 && !dropEncoding) out += `content-length: ${length}\r\n`;
    } else if (o.buffer_responses && !isEventStream(headerValue(r, "content-type") ?? "")) {
      const max = o.max_response_body_size;
      if (max > 0 && r.length !== undefined && r.length > max) return void this.tooLarge();
      this.collected = [];
    } else if (r.length !== undefined && !this.decoder) out += `content-length: ${r.length}\r\n`;
    else {
      out += "transfer-encoding: chunked\r\n";
      this.chunked = true;
    }
    this.heldHead = out;
  }

  payload(bytes: Uint8Array): void {
    if (this.finished || bytes.length === 0) return;
    if (this.decoder) {
      this.decoder.write(bytes);
      return;
    }
    this.forward(bytes);
  }

  end(): void {
    if (this.finished) return;
    if (this.decoder) this.decoder.end();
    else this.complete();
  }

  /** Payload bytes as the client gets them (after decompression). */
  private forward(bytes: Uint8Array): void {
    if (this.finished || bytes.length === 0) return;
    this.bytes += bytes.length;
    const collected = this.collected;
    if (collected) {
      const o = this.s.targetOptions;
      if (o.max_response_body_size > 0 && this.bytes > o.max_response_body_size) return void this.tooLarge();
      collected.push(Buffer.from(bytes));
      // Past the memory buffer the body is relayed as it comes (the chain would spill it to a file).
      if (this.bytes > o.max_memory_buffer_size) this.stopCollecting();
      return;
    }
    this.write(this.chunked ? chunk(bytes) : bytes);
  }

  private complete(): void {
    if (this.finished) return;
    if (this.collected) {
      const body = Buffer.concat(this.collected);
      this.collected = undefined;
      this.heldHead += `content-length: ${body.length}\r\n`;
      this.write(body);
    } else if (this.chunked) this.write("0\r\n\r\n");
    else if (this.heldHead !== undefined) this.write(new Uint8Array(0));
    this.finish(this.status, true);
  }

  fail(reason: string): void {
    if (this.finished) return;
    const up = this.up;
    // A pooled connection the target had closed just before the request reached it: once more, fresh.
    if (!this.gotHead && up && up.data.reused && !up.data.reader.started && !this.retried) {
      this.retried = true;
      this.deps.pool.discard(up);
      this.up = undefined;
      return void this.connect();
    }
    if (!this.gotHead) {
      this.deps.logger.error("Error while proxying", { target: this.target, path: this.rh.path, error: reason });
      return void this.answerWithPage(502);
    }
    // Part of the answer is out: the client's connection is cut so it cannot take it for whole.
    this.finish(this.status, false);
  }

  /** The client went away before the answer was complete. */
  clientGone(): void {
    if (this.finished) return;
    this.finish(499, false);
  }

  /** A decoder for the upstream's encoding (as Bun's fetch decodes them), its output going to the client. */
  private decoding(coding: string): Transform | undefined {
    // Loaded on first use: most apps never send an encoding the client did not ask for.
    const zlib = (process as unknown as { getBuiltinModule(id: string): Zlib }).getBuiltinModule("node:zlib");
    const make = DECODERS[coding];
    if (!make) return undefined;
    const d = make(zlib);
    d.on("data", (bytes: Uint8Array) => this.forward(bytes));
    d.on("end", () => this.complete());
    d.on("error", () => this.finish(this.status, false));
    return d;
  }

  // ---- writing to the client

  private write(bytes: Uint8Array | string): void {
    let out: Uint8Array | string = bytes;
    if (this.heldHead !== undefined) {
      if (this.client.lastAnswer) this.closeAfter = true;
      const head = `${this.heldHead}${this.closeAfter ? "connection: close\r\n" : ""}\r\n`;
      this.heldHead = undefined;
      if (typeof bytes === "string") out = head + bytes;
      else if (bytes.length === 0) out = head;
      else {
        // Head and first bytes leave in one write, copied once into one buffer.
        const joined = Buffer.allocUnsafe(head.length + bytes.length);
        joined.write(head, 0, "latin1");
        joined.set(bytes, head.length);
        out = joined;
      }
    }
    if (!this.client.send(out)) {
      const up = this.up;
      if (up && !up.data.closed) {
        up.pause();
        this.client.onDrained = () => up.resume();
      }
    }
  }

  private stopCollecting(): void {
    const parts = this.collected!;
    this.collected = undefined;
    this.heldHead += "transfer-encoding: chunked\r\n";
    this.chunked = true;
    this.write(chunk(Buffer.concat(parts)));
  }

  private tooLarge(): void {
    this.deps.logger.info("Response exceeded max response limit", { target: this.target });
    this.collected = undefined;
    this.answerWithPage(500);
  }

  private timedOut(): void {
    if (this.finished || this.gotHead) return;
    this.answerWithPage(504);
  }

  /** The target is being drained and its time is up: cut, or 504 when nothing was answered yet. */
  private drained(): void {
    if (this.finished) return;
    if (this.gotHead) return void this.finish(this.status, false);
    this.deps.logger.info("Request cancelled due to draining", { target: this.target });
    this.answerWithPage(504);
  }

  /** A proxy-made answer (the service's page for the status); the upstream connection is given up. */
  private answerWithPage(status: number): void {
    if (this.finished) return;
    this.releaseUpstream(false);
    this.gotHead = true;
    this.collected = undefined;
    this.chunked = false;
    const page = pageAnswer(status, this.rh.method, this.s.pages, this.deps.altSvc);
    this.heldHead = page.head;
    this.respHeaders = PAGE_HEADERS;
    this.bytes = page.body.length;
    // HEAD gets the head alone (write adds `connection: close` when this answer is the connection's last).
    this.write(page.body);
    this.finish(status, true);
  }

  private releaseUpstream(reusable: boolean): void {
    const up = this.up;
    if (!up) return;
    this.up = undefined;
    if (reusable) this.deps.pool.release(up);
    else this.deps.pool.discard(up);
  }

  private finish(status: number, keepAlive: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelTimeout?.();
    const up = this.up;
    this.releaseUpstream(!!up && up.data.reader.canReuse);
    this.client.onDrained = undefined;
    const { logger, metrics } = this.deps;
    const t = this.s.targetOptions;
    try {
      logger.request({
        ctx: this,
        status,
        respBytes: this.bytes,
        respHeaders: this.respHeaders ?? EMPTY,
        logRequestHeaders: t.log_request_headers ?? NONE,
        logResponseHeaders: t.log_response_headers ?? NONE,
      });
      if (metrics.enabled) {
        if (this.countedInflight) {
          metrics.inflight(this.service, -1);
          metrics.request(this.service, this.rh.method, status, (performance.now() - this.startedAt) / 1e3);
        }
      }
    } catch {
      // A failing log write must not keep the target's in-flight release from running.
    }
    this.targetRef.release(this.inflight);
    this.client.done(keepAlive && !this.closeAfter);
  }
}

const EMPTY = { get: () => null };
const NONE: readonly string[] = [];
