/**
 * The long-running proxy: HTTP (and HTTPS when certificates exist) listeners sharing one handler chain
 * (stages/chain.ts: request checks → connection timer → request start → request id → logging/metrics →
 * router → ACME answers → service), the metrics listener, the control socket, state restore at start and
 * graceful shutdown.
 */

import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { AcmeManager } from "./acme/manager.ts";
import { type Clock, systemClock } from "./clock.ts";
import { CommandHandler } from "./commands.ts";
import { bunSeconds, type ConnTimeouts, ConnTimer, DEFAULT_CONN_TIMEOUTS } from "./conn-timeouts.ts";
import { type ConnInfo, RequestContext } from "./context.ts";
import { type ControlServer, startControlServer } from "./control-server.ts";
import type { Peer } from "./fast/chain-link.ts";
import { FastFront } from "./fast/front.ts";
import { TlsFront } from "./fast/tls-front.ts";
import { UpstreamPool } from "./fast/upstream-pool.ts";
import type { FetchLike } from "./health-check.ts";
import { probeHealth } from "./health-probe.ts";
import { requestTaken } from "./jit-policy.ts";
import { Logger } from "./logging.ts";
import { type Metrics, noopMetrics, PrometheusMetrics } from "./metrics.ts";
import { Router } from "./router.ts";
import { buildChain } from "./stages/chain.ts";
import type { Handler, HandlerResult } from "./stages/compose.ts";
import type { StateStore } from "./state.ts";
import { TlsListener } from "./tls.ts";
import { closeRelays, websocketHandler } from "./websocket.ts";

export interface ProxyServerOptions {
  httpPort: number;
  httpsPort: number;
  metricsPort: number;
  debug?: boolean;
  http3?: boolean;
  socketPath: string;
  state: StateStore;
  /** Bind address; kamal-proxy always binds all interfaces, tests bind 127.0.0.1. */
  hostname?: string;
  fetch?: FetchLike;
  clock?: Clock;
  logWrite?: (line: string) => void;
  /** Client-side timeouts (header read, keep-alive idle, request-body stall); kamal-proxy-like defaults. */
  timeouts?: Partial<ConnTimeouts>;
  /** Automatic certificates: directory and cache defaults, an extra CA for the ACME server. */
  acme?: { directory?: string; cachePath?: string; caPem?: string; eab?: { kid: string; hmacKey: string }; retryBaseMs?: number };
}

const SHUTDOWN_DEADLINE_MS = 10_000;
// Bun's default limit is 128 MiB; kamal-proxy has none unless --max-request-body is set.
const MAX_BODY = Number.MAX_SAFE_INTEGER;

const normalizeIp = (ip: string): string => (ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip);

export class ProxyServer {
  readonly router = new Router();
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly commands: CommandHandler;
  readonly clock: Clock;
  /** The chain's Bun.serve, on loopback behind the front end (fast/front.ts), started on first use. */
  private http: Server<any> | undefined;
  private front: FastFront | undefined;
  /** The HTTPS port's connections once TLS is off them (fed by fast/tls-front.ts). */
  private readonly httpsFront: FastFront;
  private readonly pool = new UpstreamPool();
  /** Client addresses of connections the front end links to the chain, by the link's local port. */
  private readonly peers = new Map<number, Peer>();
  private metricsServer: Server<any> | undefined;
  private control: ControlServer | undefined;
  /** Set by stop(): the chain is not started any more. */
  private stopping = false;
  readonly tls: TlsListener;
  readonly acme: AcmeManager;
  readonly timeouts: ConnTimeouts;
  private readonly connTimer: ConnTimer;
  private readonly chain: Handler;

  constructor(readonly options: ProxyServerOptions) {
    this.timeouts = { ...DEFAULT_CONN_TIMEOUTS, ...options.timeouts };
    this.connTimer = new ConnTimer(this.timeouts);
    this.logger = new Logger(options.logWrite, options.debug ?? false);
    this.metrics = options.metricsPort > 0 ? new PrometheusMetrics() : noopMetrics;
    this.clock = options.clock ?? systemClock;
    this.commands = new CommandHandler({
      router: this.router,
      state: options.state,
      fetch: options.fetch ?? fetch,
      // Health checks over a raw socket rather than fetch's client thread, unless a fetch was injected.
      probe: options.fetch ? undefined : probeHealth,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      requestBodyTimeout: this.timeouts.requestBody,
    });
    const http3 = options.http3 ?? false;
    this.httpsFront = new FastFront({
      hostname: options.hostname,
      port: options.httpsPort,
      tls: true,
      router: this.router,
      deps: { logger: this.logger, metrics: this.metrics, clock: this.clock, pool: this.pool, port: options.httpsPort, altSvc: http3 ? () => this.altSvc() : undefined },
      timeouts: this.timeouts,
      chainPort: () => this.chainPort(),
      peers: this.peers,
    });
    const tlsFront = new TlsFront(this.httpsFront, {
      hostname: options.hostname,
      port: options.httpsPort,
      handshakeTimeoutMs: this.timeouts.readHeader,
      logger: this.logger,
      unknownName: async (name) => {
        await this.acme.duringHandshake(name, this.router.serviceForHost(name));
        // A certificate found in the cache is held without a change being announced: serve it now.
        if (this.acme.certificate(name)) this.tls.sync();
      },
    });
    this.tls = new TlsListener(this.router, tlsFront, (req, conn) => this.handle(req, conn), this.logger, { hostname: options.hostname, port: options.httpsPort, http3 });
    this.acme = new AcmeManager({
      logger: this.logger,
      defaultDirectory: options.acme?.directory,
      defaultCachePath: options.acme?.cachePath ?? join(tmpdir(), "kamal-proxy-certs"),
      caPem: options.acme?.caPem,
      eab: options.acme?.eab,
      retryBaseMs: options.acme?.retryBaseMs,
      onChange: () => this.tls.sync(),
      localRequest: async (host, pathAndQuery) =>
        (await this.handle(new Request(`http://${host}${pathAndQuery}`, { headers: { host } }), { remoteAddr: "127.0.0.1", remotePort: 0, tls: true, port: this.options.httpsPort })) ??
        new Response(null, { status: 500 }),
    });
    this.tls.extraCertificates = () => this.acme.certificates();
    this.chain = buildChain({ router: this.router, acme: this.acme, logger: this.logger, metrics: this.metrics, clock: this.clock, connTimer: this.connTimer });
  }

  get httpPort(): number {
    return this.front?.port ?? 0;
  }

  /** Whether the chain's Bun.serve is up (it starts on first use: see chainPort). */
  get chainStarted(): boolean {
    return this.http !== undefined;
  }

  get metricsPort(): number {
    return this.metricsServer?.port ?? 0;
  }

  async start(): Promise<void> {
    this.commands.restore();
    if (this.options.metricsPort > 0) {
      this.metricsServer = Bun.serve({
        port: this.options.metricsPort,
        hostname: this.options.hostname,
        fetch: () => new Response(this.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
      });
      this.logger.info("Metrics enabled", { port: this.metricsServer.port });
    }
    const port = this.options.httpPort;
    this.front = new FastFront({
      hostname: this.options.hostname,
      port,
      router: this.router,
      deps: { logger: this.logger, metrics: this.metrics, clock: this.clock, pool: this.pool, port },
      timeouts: this.timeouts,
      chainPort: () => this.chainPort(),
      peers: this.peers,
    });
    this.front.listen();
    this.acme.sync(this.router.services.values());
    this.tls.sync();
    this.commands.onChange = () => {
      this.acme.sync(this.router.services.values());
      this.tls.sync();
    };
    this.control = startControlServer(this.options.socketPath, (req) => this.commands.dispatch(req));
    this.logger.info("Server started", { http: this.front.port, https: this.options.httpsPort });
  }

  /**
   * The chain's loopback port, its Bun.serve started on first use: a proxy whose clients only ever need
   * the fast lane (plain HTTP to services that only forward, and the 404s for no service) never loads
   * Bun.serve's request machinery, about 0.7 MB of its idle memory. Nothing about the chain can fail
   * late that could not fail at start: it binds 127.0.0.1 on a port the kernel picks. After stop(),
   * nothing is started (the link fails and the client's connection closes).
   */
  private chainPort(): number {
    if (this.http || this.stopping) return this.http?.port ?? 0;
    const { httpPort: port, httpsPort, http3 } = this.options;
    // HTTPS clients' HTTP/2 connections reach it too (as h2c).
    this.http = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      http2: true,
      // The header-read timeout for new connections; see conn-timeouts.ts for how the timer is switched.
      idleTimeout: bunSeconds(this.timeouts.readHeader),
      maxRequestBodySize: MAX_BODY,
      fetch: (req, server) => {
        const ip = server.requestIP(req);
        const peer = ip ? this.peers.get(ip.port) : undefined;
        const remoteAddr = peer?.remoteAddr ?? normalizeIp(ip?.address ?? "");
        const tls = peer?.tls ?? false;
        const altSvc = tls && http3 ? this.altSvc() : undefined;
        return this.handle(req, { remoteAddr, remotePort: peer?.remotePort ?? ip?.port ?? 0, tls, port: tls ? httpsPort : port, server, altSvc });
      },
      websocket: websocketHandler,
    });
    return this.http.port ?? 0;
  }

  /** Where HTTP/3 is (--http3): the HTTPS port, as bound, for a day (what Bun.serve itself advertised). */
  private altSvc(): string {
    return `h3=":${this.tls.port}"; ma=86400`;
  }

  /** The handler chain for one request; undefined means the connection was upgraded. */
  handle(req: Request, conn: ConnInfo): HandlerResult {
    requestTaken();
    return this.chain(new RequestContext(req, conn));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.acme.stop();
    this.control?.stop();
    const servers = [this.http, this.metricsServer, ...this.tls.servers()].filter((s): s is Server<any> => !!s);
    closeRelays(servers);
    this.tls.stop();
    this.front?.stop();
    this.httpsFront.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), SHUTDOWN_DEADLINE_MS)));
    const graceful = Promise.all(servers.map((s) => s.stop(false))).then(() => "done" as const);
    const frontIdle = (async () => {
      while ((this.front?.busy ?? 0) + this.httpsFront.busy > 0) await Bun.sleep(20);
    })();
    if ((await Promise.race([Promise.all([graceful, frontIdle]), deadline])) === "timeout") {
      this.logger.warn("Closing active connections");
      this.front?.stop(true);
      this.httpsFront.stop(true);
      await Promise.all(servers.map((s) => s.stop(true)));
    }
    this.front?.stop(true);
    this.httpsFront.stop(true);
    this.pool.closeAll();
    clearTimeout(timer);
    for (const s of this.router.services.values()) s.stopHealthChecks();
    this.logger.info("Server stopped");
  }
}
