/**
 * What must happen when the user presses Ctrl-C (or the run gets SIGTERM): release the deploy lock,
 * for one. Code that holds something registers a cleanup here; main.ts runs them on the signal and
 * then exits, so an interrupted deploy leaves the next run free to go on.
 */
type Cleanup = () => Promise<unknown>;

const cleanups = new Set<Cleanup>();

/** Register a cleanup for an interrupt; returns the function that unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Run every registered cleanup (at most `timeoutMs`); failures are ignored. */
export async function runInterruptCleanups(timeoutMs = 15_000): Promise<void> {
  const all = Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref?.())]);
}
