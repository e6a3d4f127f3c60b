/**
 * A way to see JavaScriptCore's JIT policy act: a fresh function, called until its optimising JIT (DFG)
 * compile is in, or up to a bound. Under the normal policy a few thousand calls reach it; under a
 * raised one (Bun.unsafe.setJITPolicy) 2,000,000 do not.
 *
 * Run it in a fresh process (jitScenario): in a test runner that has already run many tests the JIT's
 * thresholds also grow with how much compiled code the process holds, and other functions' compiles
 * queue ahead of this one's.
 */
import { numberOfDFGCompiles } from "bun:jsc";
import { join } from "node:path";

/** Calls that a function under a raised policy (×100,000) must survive uncompiled. */
export const HOT_CALLS = 200_000;
/**
 * Calls within which a function under the normal policy must be compiled. It takes a few thousand on a
 * quiet machine, but on a busy one the compile thread can lag far behind, so the bound is generous; it
 * stays below what a raised policy needs (a function under ×100,000 was not compiled after 2,000,000).
 */
export const COMPILED_WITHIN = 1_500_000;
const CHUNK = 10_000;

let made = 0;

/**
 * Calls a fresh function in chunks up to `max` times, stopping once a DFG compile is in: true if it
 * was. The compile runs on a background thread and is installed at a later call, so each chunk is
 * followed by a pause. Each function has its own source text: JavaScriptCore shares compiled code
 * between functions made from the same text (and so their compile counts).
 */
export async function compiledWithin(max: number): Promise<boolean> {
  const f = new Function("o", `return o.x * 3 + ${++made};`) as (o: { x: number }) => number;
  const input = { x: 2 };
  for (let done = 0; done < max; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) f(input);
    await Bun.sleep(1);
    f(input);
    if (numberOfDFGCompiles(f) > 0) return true;
  }
  return false;
}

/** Runs test/support/jit-scenario.ts NAME in a fresh Bun process and returns what it printed. */
export async function jitScenario(name: string): Promise<Record<string, unknown>> {
  const p = Bun.spawn([process.execPath, join(import.meta.dir, "jit-scenario.ts"), name], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`jit-scenario ${name} exited with ${code}: ${err.trim()}`);
  return JSON.parse(out);
}
