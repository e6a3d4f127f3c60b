/**
 * The HTTPS port: which certificates to serve (custom ones and ACME's, by host), and the listeners that
 * serve them. TCP is the TLS front end's (fast/tls-front.ts: HTTP/1.1 and HTTP/2 by ALPN), which takes
 * a new certificate table in place. With --http3, Bun.serve also answers HTTP/3 over QUIC on the same
 * port's UDP side; it picks certificates by SNI from a static list, so it is (re)started whenever the
 * certificates change. Without any certificate there is nothing to serve TLS with, so the port stays
 * closed (automatic ACME certificates come separately).
 */
import { readFileSync } from "node:fs";
import type { Server } from "bun";
import type { ConnInfo } from "./context.ts";
import type { TlsFront } from "./fast/tls-front.ts";
import type { Logger } from "./logging.ts";
import type { Router } from "./router.ts";
import { websocketHandler } from "./websocket.ts";

type Handler = (req: Request, conn: ConnInfo) => Response | undefined | Promise<Response | undefined>;
export interface CertEntry {
  serverName: string;
  cert: string;
  key: string;
}

export class TlsListener {
  /** HTTP/3 (QUIC, UDP only) with --http3. */
  private quic: Server<any> | undefined;
  private signature = "";
  /** Certificates from elsewhere (ACME); a custom certificate for the same name wins. */
  extraCertificates: () => CertEntry[] = () => [];

  constructor(
    private readonly router: Router,
    private readonly front: TlsFront,
    private readonly handler: Handler,
    private readonly logger: Logger,
    private readonly options: { hostname?: string; port: number; http3: boolean },
  ) {}

  get port(): number {
    return this.front.port;
  }

  /** Stops accepting on the HTTPS port (TCP and UDP); open connections are closed by their owners. */
  stop(): void {
    this.front.stop();
    this.retireQuic();
  }

  /** The Bun.serve listeners (HTTP/3), for shutdown. */
  servers(): Server<any>[] {
    return this.quic ? [this.quic] : [];
  }

  private certificates(): CertEntry[] {
    const entries: CertEntry[] = [];
    const defaultHost = this.router.defaultTlsHostname();
    for (const s of this.router.services.values()) {
      const o = s.options;
      if (!o.tls_enabled || !o.tls_certificate_path) continue;
      try {
        const cert = readFileSync(o.tls_certificate_path, "utf8");
        const key = readFileSync(o.tls_private_key_path, "utf8");
        for (const host of o.hosts) entries.push({ serverName: host, cert, key });
      } catch (e) {
        this.logger.error("Unable to load certificate", { service: s.name, error: (e as Error).message });
      }
    }
    for (const extra of this.extraCertificates()) if (!entries.some((e) => e.serverName === extra.serverName)) entries.push(extra);
    // The first entry answers handshakes without SNI: kamal-proxy's default TLS hostname.
    entries.sort((a, b) => Number(b.serverName === defaultHost) - Number(a.serverName === defaultHost));
    return entries;
  }

  sync(): void {
    const certs = this.certificates();
    const signature = JSON.stringify(certs);
    if (signature === this.signature) return;
    this.signature = signature;
    if (certs.length === 0) {
      this.front.stop();
      this.retireQuic();
      return;
    }
    try {
      this.front.update(certs);
    } catch (e) {
      return void this.logger.error("Unable to start the HTTPS listener", { port: this.options.port, error: (e as Error).message });
    }
    if (this.options.http3) this.startQuic(certs);
  }

  /**
   * HTTP/3 on the TCP port's number, UDP only (`http1: false`). A new listener binds beside the old one
   * (SO_REUSEPORT) before the old one closes, so a certificate change never refuses a client.
   */
  private startQuic(certs: CertEntry[]): void {
    const old = this.quic;
    this.quic = undefined;
    try {
      this.quic = Bun.serve({
        port: this.front.port,
        reusePort: true,
        hostname: this.options.hostname,
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        tls: certs,
        http1: false,
        http3: true,
        fetch: (req, server) => {
          const ip = server.requestIP(req);
          const addr = ip?.address ?? "";
          return this.handler(req, {
            remoteAddr: addr.startsWith("::ffff:") ? addr.slice(7) : addr,
            remotePort: ip?.port ?? 0,
            tls: true,
            port: this.options.port,
            server,
          });
        },
        websocket: websocketHandler,
      });
    } catch (e) {
      this.logger.error("Unable to start the HTTP/3 listener", { port: this.front.port, error: (e as Error).message });
    }
    if (old) void old.stop(false);
  }

  private retireQuic(): void {
    const old = this.quic;
    this.quic = undefined;
    if (old) void old.stop(false);
  }
}
