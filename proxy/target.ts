/**
 * One upstream host:port: its health state and the in-flight requests it must be able to drain
 * (wait for them, cancel the rest with 504, and close upgraded WebSockets at once).
 */

export type TargetState = "adding" | "healthy" | "unhealthy" | "draining";

export interface Inflight {
  /** Aborting it cancels the upstream exchange; the reason tells the proxy stage to answer 504. */
  controller: AbortController;
  /** The fast lane's cancel, called instead of an abort (it has no fetch to abort). */
  cancel?: () => void;
  /** Set for upgraded (WebSocket) connections, which a drain closes without waiting. */
  closeHijacked?: () => void;
}

export const DRAIN_ABORT = "drain";

/** Its AbortController is made only when asked for: the fast lane never needs one. */
class InflightEntry implements Inflight {
  private abort: AbortController | undefined;
  cancel?: () => void;
  closeHijacked?: () => void;
  get controller(): AbortController {
    return (this.abort ??= new AbortController());
  }
}

export class Target {
  state: TargetState = "adding";
  private inflight = new Set<Inflight>();
  private emptied: (() => void)[] = [];

  constructor(readonly address: string) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Register a request; undefined while draining so the caller answers 503. */
  claim(): Inflight | undefined {
    if (this.state === "draining") return undefined;
    const entry = new InflightEntry();
    this.inflight.add(entry);
    return entry;
  }

  release(entry: Inflight): void {
    if (!this.inflight.delete(entry)) return;
    if (this.inflight.size === 0) {
      const waiters = this.emptied;
      this.emptied = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Stop new claims, close hijacked connections, wait up to `timeout` ms, cancel what is left.
   * Returns the previous state so a pause can restore it.
   */
  async drain(timeout: number): Promise<TargetState> {
    const previous = this.state;
    this.state = "draining";
    for (const entry of [...this.inflight]) {
      if (entry.closeHijacked) {
        entry.closeHijacked();
        this.release(entry);
      }
    }
    if (this.inflight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeout);
        this.emptied.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const entry of [...this.inflight]) {
      if (entry.cancel) entry.cancel();
      else entry.controller.abort(DRAIN_ABORT);
      this.release(entry);
    }
    return previous;
  }
}
