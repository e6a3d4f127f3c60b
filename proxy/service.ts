/**
 * One deployed service and its request logic, in kamal-proxy's order: TLS mismatch (503), redirects
 * (HTTPS and canonical host, 301), pause/stop (health-check paths still answer 200), rollout group
 * choice, target claim (503 when none), then WebSocket relay or HTTP forwarding.
 */
import { authorized } from "./basic-auth.ts";
import type { Clock } from "./clock.ts";
import type { RequestContext } from "./context.ts";
import { getCookie } from "./cookies.ts";
import { type PageSet, renderErrorPage } from "./error-pages.ts";
import { forwardRequest } from "./forward.ts";
import { isWebSocketUpgrade } from "./headers.ts";
import type { FetchLike } from "./health-check.ts";
import { type LoadBalancer, WRITER_COOKIE } from "./load-balancer.ts";
import type { Logger } from "./logging.ts";
import type { Metrics } from "./metrics.ts";
import { PauseController } from "./pause-controller.ts";
import type { ServiceOptions, TargetOptions } from "./protocol.ts";
import { ROLLOUT_COOKIE, type RolloutController } from "./rollout-controller.ts";
import { proxyWebSocket } from "./websocket.ts";

export interface ServiceDeps {
  fetch: FetchLike;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The request-body stall timeout (ms, 0 = none). */
  requestBodyTimeout?: number;
}

export class Service {
  pause = new PauseController();
  rollout: LoadBalancer | undefined;
  rolloutController: RolloutController | undefined;
  /** Effective TLS settings: prefix services inherit them from their host's root service. */
  tlsEnabled = false;
  tlsRedirect = true;

  constructor(
    readonly name: string,
    public options: ServiceOptions,
    public targetOptions: TargetOptions,
    public active: LoadBalancer,
    public pages: PageSet | undefined,
    private readonly deps: ServiceDeps,
  ) {}

  get servesRoot(): boolean {
    return this.options.path_prefixes.includes("/");
  }

  isHealthCheckRequest(ctx: RequestContext): boolean {
    const m = ctx.req.method;
    return (m === "GET" || m === "HEAD") && ctx.strippedPath === this.targetOptions.health_check_config.path;
  }

  async serve(ctx: RequestContext): Promise<Response | undefined> {
    const { logger, metrics } = this.deps;
    ctx.service = this.name;
    if (this.options.exclude_metrics_paths?.includes(ctx.strippedPath)) ctx.excludedFromMetrics = true;
    else if (metrics.enabled) {
      metrics.inflight(this.name, 1);
      ctx.onFinish(() => metrics.inflight(this.name, -1));
    }
    const ipHeader = this.options.client_ip_header;
    if (ipHeader) {
      const value = ctx.headers.get(ipHeader);
      if (value) {
        ctx.headers.set("x-forwarded-for", value);
        ctx.remoteAddr = value;
      }
    }

    if (!this.tlsEnabled && ctx.conn.tls) return this.error(503);

    const redirect = this.redirect(ctx);
    if (redirect) return redirect;

    // Basic auth before anything reaches the app; the health check path stays open for load balancers.
    const auth = this.options.basic_auth;
    if (auth && !this.isHealthCheckRequest(ctx) && !authorized(auth, ctx.req.headers.get("authorization"))) {
      return this.error(401, "", { "www-authenticate": `Basic realm="${this.name}", charset="UTF-8"` });
    }

    // The running case skips the (async) wait entirely: it is every request's path.
    if (this.pause.state !== "running") {
      if (this.isHealthCheckRequest(ctx)) return new Response(null, { status: 200 });
      const waited = await this.pause.wait(ctx.req.signal);
      if (waited.kind === "stopped") return this.error(503, waited.message);
      if (waited.kind === "timeout") {
        logger.warn("Rejecting request due to expired pause", { service: this.name, path: ctx.path });
        return this.error(504);
      }
      if (ctx.req.signal.aborted) {
        ctx.loggedStatus = 499;
        return new Response(null, { status: 499 });
      }
    }

    const group = this.chooseGroup(ctx);
    const upgrade = isWebSocketUpgrade(ctx.req.headers, ctx.req.method);
    const method = ctx.req.method;
    const isRead = (method === "GET" || method === "HEAD") && (!upgrade || this.options.read_targets_accept_websockets);
    const now = this.deps.clock.now();
    const pick = group.pick(isRead, getCookie(ctx.req.headers.get("cookie"), WRITER_COOKIE), now);
    if (!pick) return this.error(503);
    const inflight = pick.target.claim();
    if (!inflight) return this.error(503);
    ctx.target = pick.target.address;
    ctx.onFinish(() => pick.target.release(inflight));

    if (upgrade) return proxyWebSocket(ctx, pick.target.address, inflight, this.targetOptions, this.pages);

    const res = await forwardRequest({
      ctx,
      target: pick.target.address,
      inflight,
      options: this.targetOptions,
      pages: this.pages,
      fetch: this.deps.fetch,
      bodyTimeout: this.deps.requestBodyTimeout,
      log: this.forwardLog,
    });
    // Writes to a group with readers are wrapped for writer affinity, which also hides the opt-out header.
    if (!isRead && group.hasReaders) {
      const optOut = (res.headers.get("x-writer-affinity") ?? "").toLowerCase() === "false";
      res.headers.delete("x-writer-affinity");
      if (pick.setAffinity && !optOut && res.status < 500) res.headers.append("set-cookie", group.affinityCookie(now));
    }
    return res;
  }

  /** forwardRequest's logger, made once rather than per request. */
  private readonly forwardLog = (level: "INFO" | "ERROR", msg: string, attrs: Record<string, unknown>): void => (level === "ERROR" ? this.deps.logger.error(msg, attrs) : this.deps.logger.info(msg, attrs));

  private chooseGroup(ctx: RequestContext): LoadBalancer {
    if (this.rollout && this.rolloutController) {
      const value = getCookie(ctx.req.headers.get("cookie"), ROLLOUT_COOKIE);
      if (this.rolloutController.selects(value)) return this.rollout;
    }
    return this.active;
  }

  private redirect(ctx: RequestContext): Response | undefined {
    const toHttps = this.tlsEnabled && this.tlsRedirect && !ctx.conn.tls;
    const canonical = this.options.canonical_host;
    const toCanonical = canonical !== "" && canonical !== ctx.hostname;
    if (!toHttps && !toCanonical) return undefined;
    const scheme = toHttps || ctx.conn.tls ? "https" : "http";
    const host = toCanonical ? canonical : ctx.hostname;
    const location = `${scheme}://${host}${ctx.path}${ctx.query ? `?${ctx.query}` : ""}`;
    const headers = new Headers({ location, connection: "close" });
    if (ctx.req.method !== "GET") return new Response(null, { status: 301, headers });
    headers.set("content-type", "text/html; charset=utf-8");
    return new Response(`<a href="${location.replace(/"/g, "&quot;")}">Moved Permanently</a>.\n\n`, { status: 301, headers });
  }

  error(status: number, message = "", headers?: HeadersInit): Response {
    return renderErrorPage(status, message, this.pages, headers);
  }

  /** Drain both groups at once (pause/stop), keeping the targets' states afterwards. */
  async drain(timeout: number): Promise<void> {
    await Promise.all([this.active.drain(timeout, true), this.rollout?.drain(timeout, true)]);
  }

  stopHealthChecks(): void {
    this.active.stopHealthChecks();
    this.rollout?.stopHealthChecks();
  }
}
