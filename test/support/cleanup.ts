/**
 * Per-file cleanup for tests that open servers, spawn processes or change the environment.
 *
 * A bun:test hook registered at a module's top level belongs to the first test file that imports the
 * module, so a shared helper cannot register one for everybody. Each test file therefore calls
 * `cleanupScope()` once at its top: the scope's hooks are that file's own, run after every test
 * (passed, failed or timed out) and once more after the file, for what `beforeAll` set up.
 * `onCleanup` outside any file's scope throws, so a file that forgot the call fails loudly instead of
 * leaking servers into the files that run after it.
 */
import { afterAll, afterEach, beforeAll } from "bun:test";

export interface CleanupScope {
  add(fn: () => unknown): void;
  /** Runs the registered cleanups, newest first; a failing one does not stop the others. */
  run(): Promise<void>;
}

let active: CleanupScope | undefined;

/** A list of cleanups without hooks; `cleanupScope` ties one to the calling test file. */
export function cleanupList(): CleanupScope {
  const fns: (() => unknown)[] = [];
  return {
    add: (fn) => void fns.push(fn),
    async run() {
      const errors: unknown[] = [];
      for (const fn of fns.splice(0).reverse()) {
        try {
          await fn();
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length) throw errors[0];
    },
  };
}

export function cleanupScope(): CleanupScope {
  const scope = cleanupList();
  // Current from when the file's tests start, not from when the file is loaded: independent of load order.
  beforeAll(() => {
    active = scope;
  });
  afterEach(() => scope.run());
  afterAll(async () => {
    await scope.run();
    if (active === scope) active = undefined;
  });
  return scope;
}

/** Registers `fn` with the running file's scope. */
export function onCleanup(fn: () => unknown): void {
  if (!active) throw new Error("onCleanup outside a cleanup scope: call cleanupScope() at the top of the test file");
  active.add(fn);
}
