/** The waiting helpers the suites use instead of sleeps: each must fail, and say what it waited for. */
import { expect, test } from "bun:test";
import { gate, settlesAtOnce, waitFor, within } from "../../support/wait.ts";

test("waitFor returns once the condition holds, sync or async", async () => {
  let n = 0;
  await waitFor(() => ++n >= 3, "three polls", 5000, 1);
  expect(n).toBe(3);
  await waitFor(async () => true, "an async condition");
});

test("waitFor throws naming what it waited for", async () => {
  await expect(waitFor(() => false, "the impossible", 30, 5)).rejects.toThrow("timed out after 30 ms waiting for the impossible");
});

test("within passes a value through, and rejects naming what it waited for", async () => {
  expect(await within(Promise.resolve(7), "seven")).toBe(7);
  const held = gate();
  await expect(within(held.wait, "a held gate", 20)).rejects.toThrow("timed out after 20 ms waiting for a held gate");
  held.release();
  await within(held.wait, "the released gate");
});

test("settlesAtOnce tells settled state from waiting on a timer", async () => {
  expect(await settlesAtOnce(Promise.resolve())).toBe(true);
  expect(await settlesAtOnce(Promise.reject(new Error("settled too")))).toBe(true);
  expect(await settlesAtOnce(new Promise((r) => setTimeout(r, 50)))).toBe(false);
  expect(await settlesAtOnce(gate().wait)).toBe(false);
});
