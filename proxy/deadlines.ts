/**
 * Cheap per-request timeouts. Arming and clearing one setTimeout per proxied request showed up as the
 * largest cost in profiles, and every request of a service uses the same timeout, so deadlines for one
 * duration arrive in order: a FIFO per duration with a single timer for its head does the same job.
 */

interface Entry {
  at: number;
  fn: (() => void) | undefined;
  cancelled: boolean;
}

class DeadlineQueue {
  private entries: Entry[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number) {}

  add(fn: () => void): Entry {
    const entry = { at: performance.now() + this.ms, fn, cancelled: false };
    this.entries.push(entry);
    if (!this.timer) this.arm();
    return entry;
  }

  private arm(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.cancelled) this.head++;
    this.compact();
    const next = this.entries[this.head];
    if (!next) return void (this.timer = undefined);
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - performance.now()));
  }

  private fire(): void {
    const now = performance.now();
    while (this.head < this.entries.length && this.entries[this.head]!.at <= now + 1) {
      const e = this.entries[this.head++]!;
      if (!e.cancelled) {
        const fn = e.fn!;
        this.cancel(e);
        fn();
      }
    }
    this.arm();
  }

  /** Drop the closure at once (it holds the whole request) and trim finished entries at the head. */
  cancel(entry: Entry): void {
    entry.cancelled = true;
    entry.fn = undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.cancelled) this.head++;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

const queues = new Map<number, DeadlineQueue>();

/** Run `fn` after `ms` unless the returned cancel function is called first. */
export function deadline(ms: number, fn: () => void): () => void {
  let q = queues.get(ms);
  if (!q) queues.set(ms, (q = new DeadlineQueue(ms)));
  const queue = q;
  const entry = q.add(fn);
  return () => queue.cancel(entry);
}
