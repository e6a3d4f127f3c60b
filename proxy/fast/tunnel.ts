/**
 * A client connection handed to the chain: its bytes are relayed as they are to the chain's Bun.serve
 * on loopback, and the answers back, with back-pressure both ways (a side that does not read stops the
 * other side being read). The chain learns the client's address from `peers`, keyed by the tunnel's
 * local port, which is what Bun.serve reports as the peer of the tunnelled connection.
 */
import type { Socket } from "bun";

export interface Peer {
  remoteAddr: string;
  remotePort: number;
}

/** The client connection as the tunnel sees it. */
export interface TunnelClient {
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly socket: { pause(): void; resume(): void };
  send(bytes: Uint8Array): boolean;
  close(): void;
}

export class Tunnel {
  private socket: Socket<undefined> | undefined;
  private pending: Uint8Array[] = [];
  private closed = false;
  private localPort = 0;

  constructor(
    private readonly client: TunnelClient,
    port: number,
    private readonly peers: Map<number, Peer>,
    first: Uint8Array | undefined,
  ) {
    if (first?.length) this.pending.push(first);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => {
          this.localPort = s.localPort;
          peers.set(s.localPort, { remoteAddr: client.remoteAddr, remotePort: client.remotePort });
          if (this.closed) return void s.end();
          this.socket = s;
          this.flush();
        },
        data: (s, chunk) => {
          if (!client.send(chunk)) s.pause();
        },
        drain: () => this.flush(),
        close: () => this.chainClosed(),
        error: () => this.chainClosed(),
      },
    }).catch(() => this.chainClosed());
  }

  fromClient(chunk: Uint8Array): void {
    if (this.closed) return;
    if (!this.socket || this.pending.length) {
      this.pending.push(chunk);
      if (this.socket) this.client.socket.pause();
      return;
    }
    const n = this.socket.write(chunk);
    if (n < chunk.length) {
      this.pending.push(chunk.subarray(Math.max(n, 0)));
      this.client.socket.pause();
    }
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
    this.forget();
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private forget(): void {
    if (this.localPort) this.peers.delete(this.localPort);
    this.localPort = 0;
  }
}
