/**
 * A client connection's link to the chain (the Bun.serve handler chain on loopback), made on the first
 * request the fast lane does not serve and kept for the connection's life. The chain learns the client's
 * address from `peers`, keyed by the link's local port, which is what Bun.serve reports as its peer.
 *
 * Two modes. Framed: the front end sends one request at a time and the link follows the chain's answer
 * (relayed as it is) to its end, then tells the front end, which goes on with the next request on either
 * lane. Raw: after a 101 or a request whose framing the front end does not trust, bytes are relayed
 * both ways as they are until either side closes. Back-pressure both ways in both modes: a side that
 * does not read stops the other side being read.
 */
import type { Socket } from "bun";
import { type ResponseHead, ResponseReader, type ResponseSink } from "./response-reader.ts";

export interface Peer {
  remoteAddr: string;
  remotePort: number;
  /** The client came over HTTPS (the TLS front end): the chain treats the request as HTTPS. */
  tls: boolean;
}

/** The client connection as the link sees it. */
export interface LinkClient {
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly tls: boolean;
  readonly socket: { pause(): void; resume(): void };
  send(bytes: Uint8Array): boolean;
  close(): void;
  /** The link went raw: bytes the client sent meanwhile must follow. */
  rawNow(): void;
  /** The chain closed the link; `inUse` when a request or raw bytes were on it. */
  linkClosed(link: ChainLink, inUse: boolean): void;
}

export class ChainLink implements ResponseSink {
  private socket: Socket<undefined> | undefined;
  private pending: Uint8Array[] = [];
  private closed = false;
  private localPort = 0;
  private raw = false;
  private readonly reader = new ResponseReader();
  private onAnswered: ((keepAlive: boolean) => void) | undefined;
  private switching = false;

  constructor(
    private readonly client: LinkClient,
    port: number,
    private readonly peers: Map<number, Peer>,
  ) {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => {
          this.localPort = s.localPort;
          peers.set(s.localPort, { remoteAddr: client.remoteAddr, remotePort: client.remotePort, tls: client.tls });
          if (this.closed) return void s.end();
          this.socket = s;
          this.flush();
        },
        data: (s, chunk) => this.fromChain(s, chunk),
        drain: () => this.flush(),
        close: () => this.chainClosed(),
        error: () => this.chainClosed(),
      },
    }).catch(() => this.chainClosed());
  }

  /** Sends a request head; `answered` is called once the chain's answer has been relayed whole. */
  request(head: Uint8Array, method: string, upgrade: boolean, answered: (keepAlive: boolean) => void): void {
    this.onAnswered = answered;
    this.switching = upgrade;
    this.reader.expect(this, method === "HEAD", upgrade);
    this.write(head);
  }

  /** Request body bytes, or in raw mode anything the client sends. */
  write(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (!this.socket || this.pending.length) {
      this.pending.push(bytes);
      if (this.socket) this.client.socket.pause();
      return;
    }
    const n = this.socket.write(bytes);
    if (n < bytes.length) {
      this.pending.push(bytes.subarray(Math.max(n, 0)));
      this.client.socket.pause();
    }
  }

  /** From here on bytes pass as they are, both ways. */
  goRaw(): void {
    if (this.raw) return;
    this.raw = true;
    this.onAnswered = undefined;
    this.client.rawNow();
  }

  get isRaw(): boolean {
    return this.raw;
  }

  /** The client took everything queued for it: read from the chain again. */
  clientDrained(): void {
    this.socket?.resume();
  }

  clientClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.socket?.end();
    this.forget();
  }

  // ---- the chain's answer (ResponseSink): only its end matters, the bytes are relayed as they come.

  head(r: ResponseHead): void {
    // A protocol switch: what follows is the new protocol's, relayed raw.
    if (r.status === 101 && this.switching) this.goRaw();
  }
  payload(): void {}
  end(): void {
    const answered = this.onAnswered;
    this.onAnswered = undefined;
    answered?.(this.reader.canReuse);
  }
  fail(): void {
    // Not an answer the front end can follow: relay the rest raw; the chain closes when it is done.
    this.goRaw();
  }

  private fromChain(s: Socket<undefined>, chunk: Buffer): void {
    if (!this.client.send(chunk)) s.pause();
    if (!this.raw && this.onAnswered) this.reader.feed(chunk);
  }

  private flush(): void {
    const s = this.socket;
    if (!s) return;
    while (this.pending.length) {
      const head = this.pending[0]!;
      const n = s.write(head);
      if (n < head.length) {
        this.pending[0] = head.subarray(Math.max(n, 0));
        return;
      }
      this.pending.shift();
    }
    this.client.socket.resume();
  }

  private chainClosed(): void {
    const busy = this.raw || this.onAnswered !== undefined || this.pending.length > 0;
    // A close-delimited answer ends here (the chain never sends one, but the reader knows the rule).
    if (!this.raw && this.onAnswered) this.reader.closed();
    this.forget();
    if (this.closed) return;
    this.closed = true;
    this.client.linkClosed(this, busy);
  }

  private forget(): void {
    if (this.localPort) this.peers.delete(this.localPort);
    this.localPort = 0;
  }
}
