/**
 * Waiting on a condition instead of sleeping a guessed time: a test that sleeps is slow when the
 * guess is generous and flaky when the machine is busy. The timeouts here are bounds for a clear
 * failure message, never what a test measures.
 */

/** Polls `cond` every `every` ms until it holds; throws naming `what` after `timeout` ms. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeout = 10_000, every = 10): Promise<void> {
  const deadline = performance.now() + timeout;
  for (;;) {
    if (await cond()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** `promise`, or an error naming `what` if it has not settled after `timeout` ms. */
export async function within<T>(promise: Promise<T>, what: string, timeout = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that stays pending until `release()`: an app handler that answers only when told to. */
export function gate(): { wait: Promise<void>; release: () => void } {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  return { wait, release };
}

/**
 * Whether `promise` settles before a zero-delay timer fires: "at once" (or "not yet") without a
 * stopwatch. Code that waits on a timer or on I/O cannot settle first; code that answers from state it
 * already holds always does, however busy the machine is.
 */
export async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, new Promise<boolean>((r) => setTimeout(() => r(false), 0))]);
}
