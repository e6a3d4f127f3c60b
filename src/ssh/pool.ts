/**
 * One connection per host for a whole run: connected lazily, reused by every command, closed
 * after `poolIdleTimeoutMs` idle and by `closeAll()`. Connection starts are bounded by
 * `maxConcurrentStarts` (sshkit.max_concurrent_starts); `onHosts` runs work on hosts in parallel.
 */
import { connect, JumpCache } from "./connect.ts";
import { type HostConnection, SshHostConnection } from "./connection.ts";
import { SshCommandError, SshMultiHostError } from "./errors.ts";
import type { SshObserver } from "./events.ts";
import { type ConnectionSettings, SshResolver, type SshTarget } from "./options.ts";

export interface PoolOptions extends SshObserver {
  /** Resolves host names to targets (default: from the settings and ~/.ssh/config). */
  resolver?: SshResolver;
}

export interface OnHostsOptions {
  /** At most this many hosts at once (default: all). */
  limit?: number;
}

/** Run `fn` for each item with at most `limit` running at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * `fn` for each distinct host, in parallel (at most `limit` at once), waiting for all of them;
 * then either every result in order, or one SshMultiHostError naming every host that failed.
 */
export async function forEachHost<T>(hosts: readonly string[], fn: (host: string) => Promise<T>, options: OnHostsOptions = {}): Promise<T[]> {
  const unique = [...new Set(hosts)];
  const results = await mapLimit(unique, options.limit ?? unique.length, fn);
  const errors = new Map<string, unknown>();
  results.forEach((r, i) => {
    if (r.status === "rejected") errors.set(unique[i]!, r.reason);
  });
  if (errors.size > 0) throw new SshMultiHostError(errors);
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

export class SshPool {
  readonly resolver: SshResolver;
  /** Connections opened so far (reuse shows as fewer connections than commands). */
  connectionsOpened = 0;
  private readonly connections = new Map<string, Promise<SshHostConnection>>();
  private readonly starts: Semaphore;
  private readonly jumpCache = new JumpCache();
  private readonly idleMs: number;
  private idleTimer?: ReturnType<typeof setInterval>;
  private closing = false;

  constructor(
    settings: ConnectionSettings = {},
    private readonly options: PoolOptions = {},
  ) {
    this.resolver = options.resolver ?? new SshResolver(settings);
    this.starts = new Semaphore(Math.max(1, settings.maxConcurrentStarts ?? 30));
    this.idleMs = settings.poolIdleTimeoutMs ?? 900_000;
  }

  /**
   * The connection to a host, opened on first use (connection errors surface here). The handle
   * stays valid for the whole run: if the connection was closed meanwhile (idle timeout, dropped),
   * the next command reconnects.
   */
  async get(host: string): Promise<HostConnection> {
    await this.connection(host);
    return this.handle(host);
  }

  private handle(host: string): HostConnection {
    // Run on the live connection; a command that never started because the connection had just
    // dropped is retried once on a new one.
    const live = async <T>(fn: (c: SshHostConnection) => Promise<T>): Promise<T> => {
      const c = await this.connection(host);
      try {
        return await fn(c);
      } catch (e) {
        if (!(e instanceof SshCommandError && e.notStarted && c.isClosed)) throw e;
        return fn(await this.connection(host));
      }
    };
    return {
      host,
      exec: (command, options) => live((c) => c.exec(command, options)),
      capture: (command, options) => live((c) => c.capture(command, options)),
      test: (command, options) => live((c) => c.test(command, options)),
      upload: (source, remotePath, options) => live((c) => c.upload(source, remotePath, options)),
      forwardIn: (bindAddress, bindPort, onConnection) => this.connection(host).then((c) => c.forwardIn(bindAddress, bindPort, onConnection)),
      openStreamLocal: (socketPath) => this.connection(host).then((c) => c.openStreamLocal(socketPath)),
      openExecStream: (command) => this.connection(host).then((c) => c.openExecStream(command)),
      close: async () => {
        const p = this.connections.get(host);
        this.connections.delete(host);
        await p?.then(
          (c) => c.close(),
          () => {},
        );
      },
    };
  }

  private connection(host: string): Promise<SshHostConnection> {
    if (this.closing) return Promise.reject(new Error("the SSH pool is closed"));
    const existing = this.connections.get(host);
    if (existing) {
      // A connection that closed but whose close event hasn't been handled yet is replaced.
      return existing.then((c) => (c.isClosed ? this.reopen(host, existing) : c));
    }
    let opening: Promise<SshHostConnection>;
    try {
      opening = this.open(this.resolver.resolve(host));
    } catch (e) {
      return Promise.reject(e);
    }
    this.connections.set(host, opening);
    opening.then(
      (c) =>
        c.session.closed.then(() => {
          if (this.connections.get(host) === opening) this.connections.delete(host);
        }),
      () => {
        if (this.connections.get(host) === opening) this.connections.delete(host);
      },
    );
    return opening;
  }

  private reopen(host: string, stale: Promise<SshHostConnection>): Promise<SshHostConnection> {
    if (this.connections.get(host) === stale) this.connections.delete(host);
    return this.connection(host);
  }

  private async open(target: SshTarget): Promise<SshHostConnection> {
    const release = await this.starts.acquire();
    try {
      const session = await connect(target, { ...this.options, jumpCache: this.jumpCache });
      this.connectionsOpened++;
      this.startIdleTimer();
      return new SshHostConnection(session, this.options);
    } finally {
      release();
    }
  }

  /** Run `fn` on each host in parallel (at most `limit` at once). Throws SshMultiHostError naming every failed host. */
  async onHosts<T>(hosts: readonly string[], fn: (connection: HostConnection, host: string) => Promise<T>, options: OnHostsOptions = {}): Promise<T[]> {
    return forEachHost(hosts, async (host) => fn(await this.get(host), host), options);
  }

  private startIdleTimer(): void {
    if (this.idleTimer || !Number.isFinite(this.idleMs) || this.idleMs <= 0) return;
    this.idleTimer = setInterval(() => this.closeIdle(), Math.min(this.idleMs, 30_000));
    this.idleTimer.unref?.();
  }

  /** Close connections idle longer than the pool's idle timeout. */
  async closeIdle(now: number = Date.now()): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [host, p] of this.connections) {
      const c = await p.catch(() => undefined);
      if (c && c.busy === 0 && now - c.lastUsed >= this.idleMs) {
        this.connections.delete(host);
        closing.push(c.close());
      }
    }
    await Promise.all(closing);
  }

  /** Close every connection (call in a finally). */
  async closeAll(): Promise<void> {
    this.closing = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (c) => c.close(),
          () => {},
        ),
      ),
    );
    await this.jumpCache.closeAll();
    this.closing = false;
  }
}
