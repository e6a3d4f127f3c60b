/**
 * A one-shot barrier: the first primary-role container decides whether other roles may boot.
 * Opened once (healthy) or closed once (unhealthy); later calls don't change the verdict.
 */
export class Barrier {
  private verdict?: boolean;
  private readonly waiters: ((open: boolean) => void)[] = [];

  /** Open the barrier; returns true if this call decided it. */
  open(): boolean {
    return this.decide(true);
  }

  /** Close the barrier; returns true if this call decided it. */
  close(): boolean {
    return this.decide(false);
  }

  get decided(): boolean {
    return this.verdict !== undefined;
  }

  /** Resolves true when opened, false when closed. */
  wait(): Promise<boolean> {
    if (this.verdict !== undefined) return Promise.resolve(this.verdict);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private decide(open: boolean): boolean {
    if (this.verdict !== undefined) return false;
    this.verdict = open;
    for (const waiter of this.waiters.splice(0)) waiter(open);
    return true;
  }
}
