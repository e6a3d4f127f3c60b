/**
 * The on-demand TLS policy (`--tls-on-demand-url`), as kamal-proxy asks it: the URL (or the app's own
 * path, sent through the proxy) gets `?host=<name>` and only a 200 within 2 s allows a certificate for
 * that host. A denied host is not asked about again for 10 s, so a stream of requests for it costs one
 * policy request, and the memory of denials is bounded (random Host headers must not grow it).
 */
import type { Logger } from "../logging.ts";

const POLICY_TIMEOUT_MS = 2000;
const DENIAL_MS = 10_000;
const MAX_DENIALS = 10_000;

export interface OnDemandPolicyOptions {
  logger: Logger;
  /** Sends a request through the proxy's own handler (policy paths of the app). */
  localRequest?: (host: string, pathAndQuery: string) => Promise<Response>;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  now: () => number;
}

export class OnDemandPolicy {
  private readonly denied = new Map<string, number>();

  constructor(private readonly o: OnDemandPolicyOptions) {}

  /** True while a recent denial for the host stands. */
  recentlyDenied(host: string): boolean {
    return (this.denied.get(host) ?? 0) > this.o.now();
  }

  /** Ask the policy; a denial is remembered for 10 s. */
  async allows(host: string, url: string): Promise<boolean> {
    if (await this.ask(host, url)) return true;
    const now = this.o.now();
    if (this.denied.size >= MAX_DENIALS) for (const [h, until] of this.denied) if (until <= now || this.denied.size >= MAX_DENIALS) this.denied.delete(h);
    this.denied.set(host, now + DENIAL_MS);
    return false;
  }

  private async ask(host: string, url: string): Promise<boolean> {
    let res: Response;
    try {
      if (url.startsWith("/")) {
        const u = new URL(url, "http://placeholder");
        u.searchParams.set("host", host);
        u.searchParams.sort();
        if (!this.o.localRequest) return false;
        res = await withTimeout(this.o.localRequest(host, `${u.pathname}${u.search}`), POLICY_TIMEOUT_MS);
      } else {
        const u = new URL(url);
        u.searchParams.set("host", host);
        u.searchParams.sort();
        res = await (this.o.fetch ?? fetch)(u.toString(), { redirect: "manual", signal: AbortSignal.timeout(POLICY_TIMEOUT_MS) });
      }
    } catch (e) {
      this.o.logger.warn("TLS on-demand check failed", { host, error: (e as Error).message });
      return false;
    }
    if (res.status === 200) {
      await res.body?.cancel().catch(() => undefined);
      return true;
    }
    const body = (await res.text().catch(() => "")).slice(0, 256);
    this.o.logger.warn("TLS on-demand check denied host", { host, status: res.status, body });
    return false;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), ms)))]).finally(() => clearTimeout(timer));
}
