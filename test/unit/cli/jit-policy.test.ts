/**
 * The compiled binary starts with JavaScriptCore's JIT held back (scripts/build: --compile-jit-policy);
 * the CLI goes back to the normal policy once started (src/runtime.ts, normalJitPolicy).
 */
import { afterEach, expect, test } from "bun:test";
import { normalJitPolicy } from "../../../src/runtime.ts";
import { HOT_CALLS, hotFunction } from "../../support/jit.ts";

afterEach(() => Bun.unsafe.setJITPolicy(1));

test("normalJitPolicy undoes a raised JIT policy: a hot function is compiled again", async () => {
  Bun.unsafe.setJITPolicy(100_000);
  expect(await hotFunction().callUntilCompiled(HOT_CALLS)).toBe(false);
  normalJitPolicy();
  expect(await hotFunction().callUntilCompiled(HOT_CALLS)).toBe(true);
});
