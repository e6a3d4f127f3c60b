/**
 * The compiled binary starts with JavaScriptCore's JIT held back (scripts/build: --compile-jit-policy);
 * the CLI goes back to the normal policy once started (src/runtime.ts, normalJitPolicy).
 */
import { expect, test } from "bun:test";
import { jitScenario } from "../../support/jit.ts";

test("normalJitPolicy undoes a raised JIT policy: a hot function is compiled again", async () => {
  // In a fresh process: under the raised policy the calls do not reach the JIT, after it they do.
  expect(await jitScenario("cli")).toEqual({ raised: false, normal: true });
});
