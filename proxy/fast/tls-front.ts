/**
 * The HTTPS port, with TLS terminated here rather than in Bun.serve, so that HTTPS requests get what the
 * plain front end gives plain ones: a header-read deadline that a trickling client cannot stretch,
 * pipelined requests answered in order, and absolute-form targets routed by their authority (Bun.serve
 * rebuilds every URL from Host and drops the rest).
 *
 * node:tls picks the certificate by SNI from a table that is swapped in place when certificates change
 * (no listener restart), and negotiates HTTP/2 or HTTP/1.1 by ALPN. HTTP/1.1 connections go through the
 * front end (front.ts) like plain ones; HTTP/2 connections are relayed, decrypted, to the chain's
 * Bun.serve on loopback, which speaks HTTP/2 there. With --http3, Bun.serve answers QUIC on the same
 * port's UDP side (tls.ts).
 */
import type { SecureContext, Server, TLSSocket } from "node:tls";
import type { Logger } from "../logging.ts";
import type { CertEntry } from "../tls.ts";
import type { ClientSocket, ConnEvents, FastFront } from "./front.ts";

type Tls = typeof import("node:tls");

/** A TLS socket as the front end's connections use one: "written" means queued, unless it must drain first. */
class TlsClientSocket implements ClientSocket {
  constructor(private readonly s: TLSSocket) {}
  get remoteAddress(): string {
    return this.s.remoteAddress ?? "";
  }
  get remotePort(): number {
    return this.s.remotePort ?? 0;
  }
  write(data: Uint8Array): number {
    if (this.s.destroyed) return data.length;
    // The stream queues whatever it is given; taking nothing while it is over its mark gives the
    // front end the same back-pressure as a raw socket's short write.
    if (this.s.writableNeedDrain) return 0;
    this.s.write(data);
    return data.length;
  }
  end(): void {
    this.s.end();
  }
  terminate(): void {
    this.s.destroy();
  }
  pause(): void {
    this.s.pause();
  }
  resume(): void {
    this.s.resume();
  }
}

/** `*.example.com` for `app.example.com`: how a wildcard certificate is found by SNI. */
const wildcardOf = (name: string): string | undefined => {
  const dot = name.indexOf(".");
  return dot > 0 ? `*${name.slice(dot)}` : undefined;
};

export class TlsFront {
  private server: Server | undefined;
  private contexts = new Map<string, SecureContext>();
  private tls: Tls | undefined;
  /** The port bound first (the configured one may be 0 in tests): a listener started again keeps it. */
  private boundPort = 0;

  constructor(
    private readonly front: FastFront,
    private readonly o: {
      hostname?: string;
      port: number;
      handshakeTimeoutMs: number;
      logger: Logger;
      /** A handshake named a host no certificate has: a chance to get one (on-demand TLS) before answering. */
      unknownName?: (name: string) => Promise<void>;
    },
  ) {}

  private contextFor(name: string): SecureContext | undefined {
    return this.contexts.get(name) ?? this.contexts.get(wildcardOf(name) ?? "");
  }

  /** SNI: the host's certificate, else (after an on-demand order, if one applies) the default one. */
  private pick(servername: string, done: (err: Error | null, ctx?: SecureContext) => void): void {
    const name = servername.toLowerCase();
    const ctx = this.contextFor(name);
    if (ctx || !this.o.unknownName) return void done(null, ctx);
    this.o.unknownName(name).then(
      () => done(null, this.contextFor(name)),
      () => done(null, undefined),
    );
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : 0;
  }

  /**
   * Serves these certificates from now on; the first answers clients without SNI or with a name no
   * certificate has. New handshakes use the new table; connections already made keep theirs.
   */
  update(certs: CertEntry[]): void {
    const first = certs[0];
    if (!first) return;
    // Loaded on first use: a proxy without HTTPS services never needs the TLS module.
    const tls = (this.tls ??= (process as unknown as { getBuiltinModule(id: string): Tls }).getBuiltinModule("node:tls"));
    const made = new Map<string, SecureContext>();
    const contexts = new Map<string, SecureContext>();
    for (const c of certs) {
      const id = `${c.cert}\0${c.key}`;
      let ctx = made.get(id);
      if (!ctx) made.set(id, (ctx = tls.createSecureContext({ cert: c.cert, key: c.key })));
      if (!contexts.has(c.serverName)) contexts.set(c.serverName, ctx);
    }
    this.contexts = contexts;
    if (this.server) return void this.server.setSecureContext({ cert: first.cert, key: first.key });
    this.listen(tls, first);
  }

  private listen(tls: Tls, first: CertEntry): void {
    const server = tls.createServer(
      {
        cert: first.cert,
        key: first.key,
        ALPNProtocols: ["h2", "http/1.1"],
        handshakeTimeout: this.o.handshakeTimeoutMs > 0 ? this.o.handshakeTimeoutMs : undefined,
        SNICallback: (name, done) => this.pick(name, done),
      },
      (socket) => this.accepted(socket),
    );
    // A failed handshake (a scanner, a client that does not trust the certificate, a timeout) is the
    // client's business: the connection is dropped without a word in the log.
    server.on("tlsClientError", (_e, socket) => socket.destroy());
    server.on("error", (e) => {
      this.o.logger.error("Unable to start the HTTPS listener", { port: this.o.port, error: e.message });
      // Not listening (the port is taken, say): the next certificate change tries again.
      if (this.server === server) this.server = undefined;
    });
    server.listen(this.boundPort || this.o.port, this.o.hostname ?? "0.0.0.0");
    this.server = server;
    // Bun binds at once, so the port is known here (HTTP/3 binds the same number next).
    this.boundPort = this.port;
  }

  private accepted(socket: TLSSocket): void {
    const events: ConnEvents = this.front.accept(new TlsClientSocket(socket), socket.alpnProtocol === "h2");
    socket.on("data", (chunk: Buffer) => events.data(chunk));
    socket.on("drain", () => events.drain());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => events.gone());
  }

  /** Stops accepting; connections are the front end's to close (FastFront.stop). */
  stop(): void {
    this.server?.close();
    this.server = undefined;
  }
}
