/**
 * A way to see JavaScriptCore's JIT policy act: a fresh function, a loop that calls it, and how often
 * the optimising JIT (DFG) compiled it. Under the normal policy 200,000 calls are far past its
 * threshold; under a raised one (Bun.unsafe.setJITPolicy) they are not.
 */
import { numberOfDFGCompiles } from "bun:jsc";

/** Calls that reach the optimising JIT under the normal policy. */
export const HOT_CALLS = 200_000;

let made = 0;

/**
 * A fresh function and a loop calling it `calls` times. Each has its own source text: JavaScriptCore
 * shares compiled code between functions made from the same text (and so their compile counts).
 */
export function hotFunction(): { run(calls: number): void; dfgCompiles(): number } {
  const f = new Function("o", `return o.x * 3 + ${++made};`) as (o: { x: number }) => number;
  const input = { x: 2 };
  return {
    run(calls) {
      for (let i = 0; i < calls; i++) f(input);
    },
    dfgCompiles: () => numberOfDFGCompiles(f),
  };
}
