/**
 * The HTTPS listener: the certificates to serve, and who serves them. Normally the TLS front end
 * (fast/tls-front.ts), which takes a new certificate table in place. With --http3, Bun.serve, which also
 * serves QUIC; it picks certificates by SNI from a static list, so it is (re)started whenever the set of
 * certificates changes. Without any certificate there is nothing to serve TLS with, so the listener stays
 * closed (automatic ACME certificates come separately). Both speak HTTP/1.1 and HTTP/2 (ALPN).
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
  private server: Server<any> | undefined;
  private signature = "";
  private boundPort = 0;
  /** Certificates from elsewhere (ACME); a custom certificate for the same name wins. */
  extraCertificates: () => CertEntry[] = () => [];
  /** Bun's per-connection inactivity timer for new connections (seconds): the header-read timeout. */
  idleTimeout = 0;
  /** Serves HTTPS unless --http3 asks for Bun.serve (see the top of this file). */
  front: TlsFront | undefined;

  constructor(
    private readonly router: Router,
    private readonly hostname: string | undefined,
    private readonly configuredPort: number,
    private readonly handler: Handler,
    private readonly logger: Logger,
    private readonly http3 = false,
  ) {}

  get port(): number {
    return this.front?.port || (this.server?.port ?? 0);
  }

  servers(): Server<any>[] {
    return this.server ? [this.server] : [];
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
    if (this.front) {
      if (certs.length === 0) return void this.front.stop();
      try {
        this.front.update(certs);
      } catch (e) {
        this.logger.error("Unable to start the HTTPS listener", { port: this.configuredPort, error: (e as Error).message });
      }
      return;
    }
    const old = this.server;
    this.server = undefined;
    // The new listener binds next to the old one (SO_REUSEPORT) before the old one closes, so a
    // certificate change (an ACME renewal) never refuses a connection.
    const retire = () => {
      if (old) void old.stop(false);
    };
    if (certs.length === 0) {
      retire();
      return;
    }
    const port = this.boundPort || this.configuredPort;
    try {
      this.server = Bun.serve({
        port,
        reusePort: true,
        hostname: this.hostname,
        idleTimeout: this.idleTimeout,
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        tls: certs,
        // HTTP/2 over TLS as kamal-proxy offers it; with --http3 Bun also serves QUIC on the same port
        // and advertises it with Alt-Svc on TCP responses.
        http2: true,
        http3: this.http3,
        fetch: (req, server) => {
          const ip = server.requestIP(req);
          const addr = ip?.address ?? "";
          return this.handler(req, {
            remoteAddr: addr.startsWith("::ffff:") ? addr.slice(7) : addr,
            remotePort: ip?.port ?? 0,
            tls: true,
            port: this.configuredPort,
            server,
          });
        },
        websocket: websocketHandler,
      });
      this.boundPort = this.server.port ?? 0;
    } catch (e) {
      this.logger.error("Unable to start the HTTPS listener", { port, error: (e as Error).message });
    }
    retire();
  }
}
