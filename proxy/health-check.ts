/**
 * Periodic health checks of one target: GET http://<host>:<port><path>, any 2xx is healthy, redirects are
 * followed, each check has its own timeout. The first check runs at once.
 */

import { isDigits } from "./chars.ts";
import type { HealthCheckConfig } from "./protocol.ts";

export type FetchLike = (input: string | Request, init?: RequestInit) => Promise<Response>;

export interface HealthResult {
  ok: boolean;
  error?: string;
}

/** One check of a URL: checkOnce over an injected fetch, or the raw-socket probe (health-probe.ts). */
export type HealthProbe = (url: string, cfg: HealthCheckConfig) => Promise<HealthResult>;

/** The target without its ":port" (what /:\d+$/ matches), by a loop (see chars.ts). */
function withoutPort(target: string): string {
  const colon = target.lastIndexOf(":");
  return colon >= 0 && colon < target.length - 1 && isDigits(target, colon + 1, target.length) ? target.slice(0, colon) : target;
}

export function healthCheckUrl(target: string, cfg: Pick<HealthCheckConfig, "path" | "port">): string {
  const host = cfg.port > 0 ? `${withoutPort(target)}:${cfg.port}` : target;
  return new URL(cfg.path || "/", `http://${host}/`).toString();
}

/** One check: true for 2xx within the timeout. Errors are returned so they can be logged. */
export async function checkOnce(url: string, cfg: HealthCheckConfig, fetcher: FetchLike): Promise<HealthResult> {
  const headers: Record<string, string> = { "user-agent": "kamal-proxy" };
  if (cfg.host) headers.host = cfg.host;
  try {
    const res = await fetcher(url, { headers, redirect: "follow", signal: AbortSignal.timeout(cfg.timeout) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `unexpected status ${res.status}` };
  } catch (e) {
    return { ok: false, error: (e as Error).name === "TimeoutError" ? "timeout" : (e as Error).message };
  }
}

export class HealthCheck {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  readonly url: string;

  constructor(
    target: string,
    private readonly cfg: HealthCheckConfig,
    private readonly probe: HealthProbe,
    private readonly report: (ok: boolean, error?: string) => void,
  ) {
    this.url = healthCheckUrl(target, cfg);
  }

  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const result = await this.probe(this.url, this.cfg);
    if (this.stopped) return;
    this.report(result.ok, result.error);
    if (!this.stopped) this.timer = setTimeout(() => void this.run(), Math.max(1, this.cfg.interval));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
