/**
 * A way to see JavaScriptCore's JIT policy act: a fresh function, called until its optimising JIT (DFG)
 * compile is in, or up to a bound. Under the normal policy 200,000 calls are far past the threshold;
 * under a raised one (Bun.unsafe.setJITPolicy) they are not.
 */
import { numberOfDFGCompiles } from "bun:jsc";

/** Calls that reach the optimising JIT under the normal policy (it takes a few thousand). */
export const HOT_CALLS = 200_000;
const CHUNK = 10_000;

let made = 0;

/**
 * A fresh function. Each has its own source text: JavaScriptCore shares compiled code between
 * functions made from the same text (and so their compile counts).
 */
export function hotFunction(): { callUntilCompiled(max: number): Promise<boolean> } {
  const f = new Function("o", `return o.x * 3 + ${++made};`) as (o: { x: number }) => number;
  const input = { x: 2 };
  return {
    /**
     * Calls it in chunks up to `max` times, stopping once a DFG compile is in. The compile runs on a
     * background thread and is installed at a later call, so each chunk is followed by a pause: on a
     * busy machine a compile still in flight at the end of a tight loop would read as none.
     */
    async callUntilCompiled(max) {
      for (let done = 0; done < max; done += CHUNK) {
        for (let i = 0; i < CHUNK; i++) f(input);
        await Bun.sleep(1);
        f(input);
        if (numberOfDFGCompiles(f) > 0) return true;
      }
      return false;
    },
  };
}
