/**
 * A target group: writers plus optional read-only readers, their health checks, round robin over the
 * healthy ones, writer affinity for reads after a write, and group-wide draining.
 */
import { formatDuration } from "./duration.ts";
import { checkOnce, type FetchLike, HealthCheck, type HealthProbe } from "./health-check.ts";
import { validateTarget } from "./options.ts";
import type { HealthCheckConfig } from "./protocol.ts";
import { Target, type TargetState } from "./target.ts";

export const WRITER_COOKIE = "kamal-writer";

export interface LoadBalancerOptions {
  healthCheck: HealthCheckConfig;
  writerAffinityTimeout: number;
  readTargetsAcceptWebsockets: boolean;
  fetch: FetchLike;
  /** How each health check is made; without one, checkOnce over `fetch`. */
  probe?: HealthProbe;
  log?: (msg: string, attrs: Record<string, unknown>) => void;
}

export interface Pick {
  target: Target;
  /** A write to a group with readers: the response should carry the writer-affinity cookie. */
  setAffinity: boolean;
}

export class LoadBalancer {
  readonly writers: Target[];
  readonly readers: Target[];
  private healthyWriters: Target[] = [];
  private healthyReaders: Target[] = [];
  private writerIndex = 0;
  private readerIndex = 0;
  private checks = new Map<Target, HealthCheck>();
  private changed: (() => void)[] = [];

  constructor(
    writers: readonly string[],
    readers: readonly string[],
    readonly options: LoadBalancerOptions,
  ) {
    for (const t of [...writers, ...readers]) validateTarget(t);
    this.writers = writers.map((a) => new Target(a));
    this.readers = readers.map((a) => new Target(a));
  }

  get all(): Target[] {
    return [...this.writers, ...this.readers];
  }

  get hasReaders(): boolean {
    return this.readers.length > 0;
  }

  /** Restored targets (state file) are trusted at once, as kamal-proxy does. */
  markAllHealthy(): void {
    for (const t of this.all) t.state = "healthy";
    this.rebuild();
  }

  beginHealthChecks(): void {
    const probe = this.options.probe ?? ((url, cfg) => checkOnce(url, cfg, this.options.fetch));
    for (const target of this.all) {
      if (this.checks.has(target)) continue;
      const check = new HealthCheck(target.address, this.options.healthCheck, probe, (ok, error) => this.report(target, ok, error));
      this.checks.set(target, check);
      check.start();
    }
  }

  stopHealthChecks(): void {
    for (const c of this.checks.values()) c.stop();
    this.checks.clear();
  }

  private report(target: Target, ok: boolean, error?: string): void {
    if (!ok) this.options.log?.("Healthcheck failed", { target: target.address, url: this.checks.get(target)?.url, error });
    const was = target.state;
    let next: TargetState = was;
    if (was === "adding" && ok) next = "healthy";
    else if (was === "healthy" && !ok) next = "unhealthy";
    else if (was === "unhealthy" && ok) next = "healthy";
    if (next !== was) {
      target.state = next;
      this.options.log?.("Target health updated", { target: target.address, state: next, was });
      this.rebuild();
    }
    // Taking the only target out of rotation would not help, so single-target groups stop checking.
    if (this.all.length === 1 && target.state === "healthy") {
      this.checks.get(target)?.stop();
      this.checks.delete(target);
    }
  }

  private rebuild(): void {
    this.healthyWriters = this.writers.filter((t) => t.state === "healthy");
    this.healthyReaders = this.readers.filter((t) => t.state === "healthy");
    const waiters = this.changed;
    this.changed = [];
    for (const w of waiters) w();
  }

  allHealthy(): boolean {
    return this.all.every((t) => t.state === "healthy");
  }

  /** Wait until every writer and reader is healthy at the same time, or fail after `timeout` ms. */
  async waitUntilHealthy(timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.allHealthy()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`target failed to become healthy within configured timeout (${formatDuration(timeout)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.changed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Choose a target. Reads go to a healthy reader unless the client holds a valid writer cookie; the
   * counter is incremented before use, so with two targets the second serves first (kamal-proxy does so).
   */
  pick(isRead: boolean, writerCookie: string | undefined, now: number): Pick | undefined {
    const affinityValid = writerCookie !== undefined && Number(writerCookie) > now;
    if (isRead && this.healthyReaders.length > 0 && !affinityValid) {
      const list = this.healthyReaders;
      this.readerIndex = (this.readerIndex + 1) % list.length;
      return { target: list[this.readerIndex]!, setAffinity: false };
    }
    const list = this.healthyWriters;
    if (list.length === 0) return undefined;
    this.writerIndex = (this.writerIndex + 1) % list.length;
    const setAffinity = !isRead && this.hasReaders && this.options.writerAffinityTimeout > 0;
    return { target: list[this.writerIndex]!, setAffinity };
  }

  /** Drain every target at once; `restore` puts the previous states back (pause/stop keep the group). */
  async drain(timeout: number, restore = false): Promise<void> {
    const previous = await Promise.all(this.all.map((t) => t.drain(timeout)));
    if (restore) {
      this.all.forEach((t, i) => {
        t.state = previous[i]!;
      });
      this.rebuild();
    }
  }

  affinityCookie(now: number): string {
    const until = now + this.options.writerAffinityTimeout;
    const expires = new Date(until + 1000).toUTCString();
    return `${WRITER_COOKIE}=${until}; Path=/; Expires=${expires}; HttpOnly`;
  }
}
