/**
 * The proxy's JIT policy (proxy/jit-policy.ts): at rest JavaScriptCore's thresholds are raised so
 * nothing is compiled, and once the proxy has carried a little traffic the normal policy is back. Checked
 * on JavaScriptCore itself (a hot function is compiled by its optimising tier or not) and on a running
 * proxy (requests answered by the fast lane and by the chain both count, once each).
 */
import { afterEach, expect, test } from "bun:test";
import { jitAtRest, requestsUntilWarm, requestTaken } from "../../proxy/jit-policy.ts";
import { jitScenario } from "../support/jit.ts";
import { cleanupScope, startProxy, upstream } from "./helpers.ts";

cleanupScope();

// Whatever a test left, the runner goes on under the normal policy.
afterEach(() => {
  while (requestsUntilWarm() > 0) requestTaken();
});

test("at rest a hot function stays uncompiled; after the warm-up requests it is compiled as normal", async () => {
  // In a fresh process; `normal` is the control: under the normal policy the same calls reach the JIT.
  expect(await jitScenario("proxy")).toEqual({
    normal: true,
    warmUpRequests: 1000,
    atRest: false,
    leftBeforeLast: 1,
    leftAfterLast: 0,
    afterWarmUp: true,
  });
});

test("a running proxy counts every request once: the fast lane's, its 404s and the chain's", async () => {
  const p = await startProxy();
  const app = upstream("app");
  expect((await p.deploy("web", app.addr, "--host=app.example")).code).toBe(0);

  jitAtRest();
  const start = requestsUntilWarm();
  // A plain GET is answered by the fast lane.
  expect((await p.text("/", { host: "app.example" })).status).toBe(200);
  expect(requestsUntilWarm()).toBe(start - 1);
  // No service for this host: the fast lane's 404.
  expect((await p.text("/", { host: "nobody.example" })).status).toBe(404);
  expect(requestsUntilWarm()).toBe(start - 2);
  // A request with a body goes to the chain.
  expect((await p.text("/form", { method: "POST", body: "a=1", host: "app.example" })).status).toBe(200);
  expect(requestsUntilWarm()).toBe(start - 3);
});
