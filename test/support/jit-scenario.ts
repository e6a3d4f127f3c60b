/**
 * The JIT policy's scenarios, each run in a fresh process by jitScenario (jit.ts), printing what it saw
 * as JSON:
 *   proxy  the proxy's policy (proxy/jit-policy.ts): normal, then at rest, then after the warm-up requests
 *   cli    the CLI's return to the normal policy (src/runtime.ts) from a raised one
 */
import { jitAtRest, requestsUntilWarm, requestTaken } from "../../proxy/jit-policy.ts";
import { normalJitPolicy } from "../../src/runtime.ts";
import { COMPILED_WITHIN, compiledWithin, HOT_CALLS } from "./jit.ts";

const scenario = process.argv[2];
const seen: Record<string, unknown> = {};
if (scenario === "proxy") {
  seen.normal = await compiledWithin(COMPILED_WITHIN);
  jitAtRest();
  seen.warmUpRequests = requestsUntilWarm();
  seen.atRest = await compiledWithin(HOT_CALLS);
  for (let i = 1; i < (seen.warmUpRequests as number); i++) requestTaken();
  seen.leftBeforeLast = requestsUntilWarm();
  requestTaken();
  seen.leftAfterLast = requestsUntilWarm();
  seen.afterWarmUp = await compiledWithin(COMPILED_WITHIN);
} else if (scenario === "cli") {
  Bun.unsafe.setJITPolicy(100_000);
  seen.raised = await compiledWithin(HOT_CALLS);
  normalJitPolicy();
  seen.normal = await compiledWithin(COMPILED_WITHIN);
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
console.log(JSON.stringify(seen));
