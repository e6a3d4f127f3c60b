/**
 * The plain-HTTP listener: a raw-socket HTTP/1.1 front end (Bun.listen) that reads every request head
 * itself, answers the plainest, most common requests on the fast lane (exchange.ts) and hands the others,
 * one at a time, to the Bun.serve chain over the connection's link (chain-link.ts), so every behaviour of
 * the chain (bodies, WebSockets, redirects, pauses…) stays exactly as it was. A request whose framing the
 * front end does not trust turns the connection raw: its bytes then reach the chain's strict parser as
 * they are.
 *
 * Per connection, requests are answered one at a time and in order, so pipelined requests are answered
 * (Bun.serve drops such a connection). Client timeouts are kept here with real deadlines: the header-read
 * timeout runs from a request's first byte (a client trickling bytes is cut, which Bun.serve's
 * inactivity timer cannot do) and the idle timeout between requests.
 *
 * HTTPS connections come the same way once tls-front.ts has terminated TLS: HTTP/1.1 ones are handled
 * exactly as plain ones (`tls` set), HTTP/2 ones are relayed to the chain as they are.
 */

import type { TCPSocketListener } from "bun";
import type { ConnTimeouts } from "../conn-timeouts.ts";
import { hostWithoutPort } from "../context.ts";
import { requestTaken } from "../jit-policy.ts";
import type { Router } from "../router.ts";
import { stripPrefix } from "../router.ts";
import { ChainLink, type Peer } from "./chain-link.ts";
import { BodyTracker, type ChainHead, frameForChain } from "./chain-request.ts";
import { type ClientSide, type Exchange, type FastDeps, startExchange } from "./exchange.ts";
import { answerNotFound, type NotFoundAnswer } from "./not-found.ts";
import { parseRequestHead } from "./request-head.ts";
import { servesFast } from "./serves-fast.ts";

export interface FrontOptions {
  hostname?: string;
  /** The port `listen` binds (the plain-HTTP front end); the configured one, as logs show it. */
  port: number;
  /** The front end of the HTTPS port: its connections are HTTPS ones (tls-front.ts feeds them in). */
  tls?: boolean;
  router: Router;
  deps: FastDeps;
  timeouts: ConnTimeouts;
  /** Where the chain's Bun.serve listens (loopback): the links' other end. */
  chainPort: () => number;
  /** Client addresses of linked connections, by the link's local port (the chain looks them up). */
  peers: Map<number, Peer>;
}

/** Bytes held for a connection whose current answer is not done yet (pipelined requests). */
const MAX_AHEAD = 64 * 1024;
const SWEEP_MS = 250;

const normalizeIp = (ip: string): string => (ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip);

/** What a connection needs of its socket: Bun's TCP socket has it, and tls-front.ts adapts a TLS one. */
export interface ClientSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Writes what the socket takes now and says how much (the rest waits for a drain). */
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

/** How the owner of a socket reports its events to the front end. */
export interface ConnEvents {
  data(chunk: Buffer): void;
  drain(): void;
  gone(): void;
}

class Conn implements ClientSide {
  buf: Buffer | undefined;
  /** The fast lane's answer in progress: an exchange with an app, or a 404 for no service. */
  exchange: Exchange | NotFoundAnswer | undefined;
  link: ChainLink | undefined;
  /** A request the chain is serving: its body (still arriving, maybe) and whether the answer is out. */
  chained: { body: BodyTracker; answered: boolean; keepAlive: boolean } | undefined;
  /** Pending output the socket did not take yet. */
  queue: Uint8Array[] = [];
  onDrained: (() => void) | undefined;
  /** performance.now() after which the connection is closed (0: none). */
  deadline = 0;
  /** When the current request's first byte arrived (0: between requests). */
  headSince = 0;
  closing = false;
  closed = false;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly tls: boolean;

  constructor(
    readonly socket: ClientSocket,
    private readonly front: FastFront,
  ) {
    this.remoteAddr = normalizeIp(socket.remoteAddress);
    this.remotePort = socket.remotePort;
    this.tls = front.tls;
  }

  send(bytes: Uint8Array | string): boolean {
    if (this.closed) return true;
    const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    if (this.queue.length) {
      this.queue.push(data);
      return false;
    }
    const n = this.socket.write(data);
    if (n >= data.length) return true;
    this.queue.push(data.subarray(Math.max(n, 0)));
    return false;
  }

  drain(): void {
    while (this.queue.length) {
      const head = this.queue[0]!;
      const n = this.socket.write(head);
      if (n < head.length) {
        this.queue[0] = head.subarray(Math.max(n, 0));
        return;
      }
      this.queue.shift();
    }
    if (this.closing) return void this.socket.end();
    const resume = this.onDrained;
    this.onDrained = undefined;
    resume?.();
    this.link?.clientDrained();
  }

  done(keepAlive: boolean): void {
    this.exchange = undefined;
    if (!keepAlive) return void this.close();
    this.socket.resume();
    this.front.next(this);
  }

  /** The link went raw (a 101, or an answer it could not follow): what the client sent meanwhile follows. */
  rawNow(): void {
    const held = this.buf;
    this.buf = undefined;
    this.deadline = 0;
    if (held) this.link!.write(held);
  }

  /**
   * An idle link closed by the chain's keep-alive timer says nothing about the client, which may be busy
   * on the fast lane: it is dropped (the next chained request makes a new one). A link in use, or a
   * request whose body is still going to the chain, takes the client connection down with it.
   */
  linkClosed(link: ChainLink, inUse: boolean): void {
    if (this.link !== link) return;
    if (inUse || this.chained) return void this.close();
    this.link = undefined;
  }

  get lastAnswer(): boolean {
    return this.front.stopping;
  }

  get busy(): boolean {
    return !!(this.exchange || this.chained || this.link?.isRaw);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.queue.length) this.socket.end();
  }
}

export class FastFront {
  private listener: TCPSocketListener<ConnEvents> | undefined;
  private readonly conns = new Set<Conn>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Set by stop(): a busy connection closes after its current answer instead of taking the next request. */
  stopping = false;

  constructor(private readonly o: FrontOptions) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref?.();
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get tls(): boolean {
    return this.o.tls ?? false;
  }

  /** The plain-HTTP listener. */
  listen(): void {
    this.listener = Bun.listen<ConnEvents>({
      hostname: this.o.hostname ?? "0.0.0.0",
      port: this.o.port,
      socket: {
        open: (socket) => void (socket.data = this.accept(socket)),
        data: (socket, chunk) => socket.data.data(chunk),
        drain: (socket) => socket.data.drain(),
        close: (socket) => socket.data.gone(),
        error: (socket) => socket.data.gone(),
      },
    });
  }

  /**
   * A new client connection. `relay` (HTTP/2 over TLS) sends its bytes to the chain as they are, which
   * speaks HTTP/2 itself; otherwise requests are read here, as on the plain listener.
   */
  accept(socket: ClientSocket, relay = false): ConnEvents {
    const c = new Conn(socket, this);
    this.conns.add(c);
    if (relay) this.goRaw(c);
    else {
      // Go's ReadHeaderTimeout also runs from the moment the connection is accepted.
      const t = this.o.timeouts.readHeader;
      c.deadline = t > 0 ? performance.now() + t : 0;
    }
    return { data: (chunk) => this.received(c, chunk), drain: () => c.drain(), gone: () => this.gone(c) };
  }

  /** Stops accepting; idle connections close now, busy ones when their answer is done (or at `force`). */
  stop(force = false): void {
    this.stopping = true;
    this.listener?.stop();
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of this.conns) {
      if (force || !c.busy) c.socket.terminate();
    }
  }

  get busy(): number {
    let n = 0;
    for (const c of this.conns) if (c.busy) n++;
    return n;
  }

  private received(c: Conn, chunk: Buffer): void {
    if (c.link?.isRaw) return void c.link.write(chunk);
    const body = c.chained?.body;
    if (body && !body.done) return void this.bodyBytes(c, body, chunk);
    c.buf = c.buf ? Buffer.concat([c.buf, chunk]) : chunk;
    if (c.busy) {
      // Pipelined bytes wait for the current answer; past a bound, stop reading until then.
      if (c.buf.length > MAX_AHEAD) c.socket.pause();
      return;
    }
    this.next(c);
  }

  /** Takes the next request from what the connection has sent, if it is all there. */
  next(c: Conn): void {
    if (c.closed || c.closing) return;
    if (this.stopping) return void c.close();
    const buf = c.buf;
    if (!buf || buf.length === 0) {
      c.buf = undefined;
      c.headSince = 0;
      const idle = this.o.timeouts.idle;
      c.deadline = idle > 0 ? performance.now() + idle : 0;
      return;
    }
    const head = parseRequestHead(buf);
    if (head === "incomplete") return void this.headPending(c);
    if (head !== "other") {
      const hostname = hostWithoutPort(head.host);
      const match = this.o.router.lookup(hostname, head.path);
      if (match && servesFast(match.service, head.path, hostname, this.tls)) {
        const s = match.service;
        const path = s.options.strip_prefix && match.prefix !== "/" ? stripPrefix(match.prefix, head.path) : head.path;
        c.deadline = 0;
        c.headSince = 0;
        c.buf = head.length < buf.length ? buf.subarray(head.length) : undefined;
        const x = startExchange(this.o.deps, c, head, match, path);
        if (x) {
          requestTaken();
          c.exchange = x;
          return;
        }
        c.buf = buf;
      } else if (!match) {
        c.deadline = 0;
        c.headSince = 0;
        c.buf = head.length < buf.length ? buf.subarray(head.length) : undefined;
        requestTaken();
        c.exchange = answerNotFound(this.o.deps, c, head);
        return;
      }
    }
    const framed = frameForChain(buf);
    if (framed === "incomplete") return void this.headPending(c);
    if (framed === "raw") return void this.goRaw(c);
    this.toChain(c, framed, buf);
  }

  /** The header-read deadline runs from the request's first byte, whatever arrives after it. */
  private headPending(c: Conn): void {
    if (c.headSince !== 0) return;
    const now = (c.headSince = performance.now());
    const t = this.o.timeouts.readHeader;
    c.deadline = t > 0 ? now + t : 0;
  }

  private linkOf(c: Conn): ChainLink {
    return (c.link ??= new ChainLink(c, this.o.chainPort(), this.o.peers));
  }

  /** One request to the chain: its head now, its body as it arrives; the next request waits for both ends. */
  private toChain(c: Conn, framed: ChainHead, buf: Buffer): void {
    c.deadline = 0;
    c.headSince = 0;
    const chained = { body: new BodyTracker(framed.body), answered: false, keepAlive: true };
    c.chained = chained;
    c.buf = undefined;
    this.linkOf(c).request(framed.bytes, framed.method, framed.upgrade, (keepAlive) => {
      chained.answered = true;
      chained.keepAlive = keepAlive;
      this.chainedProgress(c);
    });
    if (framed.length < buf.length) this.bodyBytes(c, chained.body, buf.subarray(framed.length));
    else this.chainedProgress(c);
  }

  /** Bytes while a chained request's body is arriving: the body's share goes to the chain, the rest waits. */
  private bodyBytes(c: Conn, body: BodyTracker, chunk: Buffer): void {
    const link = c.link!;
    if (body.done) {
      c.buf = c.buf ? Buffer.concat([c.buf, chunk]) : chunk;
      return void this.chainedProgress(c);
    }
    const n = body.take(chunk);
    if (body.broken) {
      // Framing the front end cannot follow: the chain gets the bytes as they are and refuses them.
      c.chained = undefined;
      link.goRaw();
      return void link.write(chunk);
    }
    link.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    if (n < chunk.length) c.buf = c.buf ? Buffer.concat([c.buf, chunk.subarray(n)]) : chunk.subarray(n);
    this.chainedProgress(c);
  }

  /** The chained request is over once its body went out and its answer came back: then the next one. */
  private chainedProgress(c: Conn): void {
    const chained = c.chained;
    if (!chained?.body.done || !chained.answered) return;
    c.chained = undefined;
    if (!chained.keepAlive) return void c.close();
    c.socket.resume();
    this.next(c);
  }

  /** From here on the connection's bytes go to the chain as they are, both ways. */
  private goRaw(c: Conn): void {
    c.deadline = 0;
    const link = this.linkOf(c);
    link.goRaw();
    c.rawNow();
  }

  private gone(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    this.conns.delete(c);
    c.queue = [];
    c.exchange?.clientGone();
    c.exchange = undefined;
    c.link?.clientClosed();
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of this.conns) if (c.deadline > 0 && now > c.deadline && !c.busy) c.socket.end();
  }
}

export type { Conn };
