/**
 * How eagerly JavaScriptCore compiles the proxy's code, by phase.
 *
 * A proxy at rest runs code a few times a second at most: its start, deploys, a health check per service
 * per second. Left to the normal policy, JavaScriptCore's JIT compiles some of it anyway (a helper of
 * Bun's own node:fs, called once per export while the module loads, is enough), and that first compile
 * costs an idle proxy about 1.2 MB (measured: 35.7 against 36.9 MB, see README.md, "Memory"): the
 * compiler's code paged in from the executable, its thread, the compiled code. So the server starts with the JIT's thresholds raised far enough that nothing it does
 * at rest reaches them in weeks, and the normal policy comes back once it has carried a little traffic,
 * so the request path is compiled as eagerly as in any Bun program (after WARM_REQUESTS requests: a
 * fraction of a second under load, while a quiet site does not need compiled code to keep up).
 *
 * The binary's build also starts every run with a raised scale (scripts/build, --compile-jit-policy), so
 * what runs before this module is loaded is covered too. On a Bun without setJITPolicy all of this does
 * nothing.
 */

/**
 * Multiplies JavaScriptCore's tier-up thresholds while the proxy is at rest. The scale does not act
 * linearly: at 1,000 a function was still compiled after 20,000–40,000 calls; at 100,000 not after
 * 2,000,000, more than three weeks of health checks at one a second.
 */
const AT_REST_SCALE = 100_000;
/** Requests after which the proxy counts as carrying traffic. */
const WARM_REQUESTS = 1000;

const setJitPolicy: ((scale: number) => void) | undefined = (Bun as { unsafe?: { setJITPolicy?: (scale: number) => void } }).unsafe?.setJITPolicy;

let untilWarm = 0;

/** The server has started and is at rest: raise the thresholds until requests arrive. */
export function jitAtRest(): void {
  if (!setJitPolicy) return;
  setJitPolicy(AT_REST_SCALE);
  untilWarm = WARM_REQUESTS;
}

/** One request taken in (answered by the fast lane, or by the chain): past WARM_REQUESTS the normal policy is back. */
export function requestTaken(): void {
  if (untilWarm > 0 && --untilWarm === 0) setJitPolicy?.(1);
}

/** Requests still to come before the normal policy is back; 0 once it is (for tests). */
export function requestsUntilWarm(): number {
  return untilWarm;
}
