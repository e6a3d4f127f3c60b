/**
 * The deploy lock: a directory on the primary host (`.kamal/lock-SVC[-DEST]`), created atomically
 * with mkdir. Held for the whole of deploy/setup/rollback/remove; released in `finally`, so a
 * failure never leaves it behind. A killed run does leave it: `sextant lock release` clears it.
 */
import * as lock from "../commands/lock.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { onInterrupt } from "../interrupt.ts";
import { type Run, utcSeconds } from "./run.ts";

class LockError extends SextantError {}

function lockHost(run: Run): string {
  const host = run.config.primaryHost;
  if (!host) throw new SextantError("no primary host to hold the deploy lock", { hint: "Give the primary role at least one host." });
  return host;
}

/** The lock's details (who, when, which version, why), or undefined when it is free. */
export async function lockStatus(run: Run): Promise<string | undefined> {
  const result = await run.session.tryExec(lockHost(run), render(lock.status(run.config)));
  return result.code === 0 ? result.stdout.trim() : undefined;
}

async function tryAcquire(run: Run, message: string): Promise<boolean> {
  const details = { lockedBy: run.userName, at: utcSeconds(), version: run.config.version, message };
  const result = await run.session.tryExec(lockHost(run), render(lock.acquire(run.config, details)));
  if (result.code === 0) return true;
  if (/cannot create directory|File exists/.test(result.stderr)) return false;
  throw new LockError(`cannot take the deploy lock on ${lockHost(run)}: ${result.stderr.trim()}`);
}

/**
 * Fail before any slow work (a build) when the lock is already held and we would not wait for it.
 * Kamal only finds out after building; the lock is still taken properly later.
 */
export async function checkLockFree(run: Run): Promise<void> {
  if (run.holdingLock || run.options.lockWait) return;
  const holder = await lockStatus(run);
  if (holder) {
    throw new LockError(`Deploy lock found on ${lockHost(run)}:\n${indent(holder)}`, {
      hint: "Wait for that deploy to finish, or run `sextant lock release` if it was interrupted (or use --lock-wait).",
    });
  }
}

export async function acquireLock(run: Run, message: string = lock.AUTOMATIC_LOCK_MESSAGE): Promise<void> {
  const session = run.session;
  await session.onHosts(run.selection.hosts, "ready", (host) => session.exec(host, render(lock.ensureRunDirectory(run.config))).then(() => undefined));
  const wait = run.options.lockWait;
  const deadline = wait ? performance.now() + wait.timeoutSeconds * 1000 : 0;
  let shown = false;
  for (;;) {
    if (await tryAcquire(run, message)) {
      run.holdingLock = true;
      return;
    }
    const holder = (await lockStatus(run)) ?? "(the lock was just released)";
    if (!wait) {
      throw new LockError(`Deploy lock found on ${lockHost(run)}:\n${indent(holder)}`, {
        hint: "Wait for that deploy to finish, or run `sextant lock release` if it was interrupted (or use --lock-wait).",
      });
    }
    if (!shown) {
      session.emit({ type: "info", message: `Deploy lock is held by:\n${indent(holder)}` });
      shown = true;
    }
    if (!holder.includes(`Message: ${lock.AUTOMATIC_LOCK_MESSAGE}`) && holder.includes("Message:")) {
      throw new LockError("Deploy lock held manually, not waiting", { hint: "Run `sextant lock release` when it is safe." });
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new LockError(`Timed out after ${wait.timeoutSeconds}s waiting for the deploy lock on ${lockHost(run)}, held by:\n${indent(holder)}`, {
        hint: "Try again later (or with a longer --lock-wait-timeout), or run `sextant lock release` if that deploy was interrupted.",
      });
    }
    const pause = Math.min(wait.intervalSeconds * 1000, remaining);
    session.emit({ type: "info", message: `Retrying in ${Math.round(pause / 1000)}s (${Math.round(remaining / 1000)}s remaining)...` });
    await new Promise((r) => setTimeout(r, pause));
  }
}

export async function releaseLock(run: Run): Promise<void> {
  await run.session.exec(lockHost(run), render(lock.release(run.config)));
  run.holdingLock = false;
}

/** Run `fn` holding the deploy lock (reusing it when this process or a parent holds it already). */
export async function withLock<T>(run: Run, fn: () => Promise<T>, message?: string): Promise<T> {
  if (run.holdingLock) return fn();
  await run.session.step("Acquiring the deploy lock", () => acquireLock(run, message));
  // Ctrl-C while holding the lock releases it before the process exits.
  const forget = onInterrupt(() => releaseLock(run));
  try {
    return await fn();
  } finally {
    forget();
    try {
      await releaseLock(run);
    } catch (error) {
      run.session.emit({ type: "warn", message: `Error releasing the deploy lock: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
