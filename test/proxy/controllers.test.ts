/** Pause and rollout controllers, and the service map (host and prefix lookup, TLS inheritance). */
import { expect, test } from "bun:test";
import { PauseController } from "../../proxy/pause-controller.ts";
import { fnv1a32, RolloutController } from "../../proxy/rollout-controller.ts";
import { settlesAtOnce } from "../support/wait.ts";
import { cleanupScope, startProxy, upstream } from "./helpers.ts";
import { selfSignedCert } from "./tls-helpers.ts";

cleanupScope();

test("the default state is running and waits proceed immediately", async () => {
  const pc = new PauseController();
  expect(pc.state).toBe("running");
  expect(await pc.wait()).toEqual({ kind: "ok" });
});

test("while paused a wait blocks until resume, then proceeds", async () => {
  const pc = new PauseController();
  pc.pause(5000);
  const waiting = pc.wait();
  expect(await settlesAtOnce(waiting)).toBe(false);
  pc.resume();
  expect(await waiting).toEqual({ kind: "ok" });
});

test("a paused wait times out after the pause timeout", async () => {
  const pc = new PauseController();
  pc.pause(10);
  const started = performance.now();
  expect(await pc.wait()).toEqual({ kind: "timeout" });
  // A lower bound on a timer: a busy machine only makes it later, never earlier.
  expect(performance.now() - started).toBeGreaterThanOrEqual(9);
});

test("when stopped a wait returns stopped with the message", async () => {
  const pc = new PauseController();
  pc.stop("Down for maintenance");
  expect(await pc.wait()).toEqual({ kind: "stopped", message: "Down for maintenance" });
});

test("stopping a paused service releases waiters at once as stopped with the new message", async () => {
  const pc = new PauseController();
  pc.pause(5000);
  const waiting = pc.wait();
  expect(await settlesAtOnce(waiting)).toBe(false);
  pc.stop("Back in 15 mins!");
  expect(await settlesAtOnce(waiting)).toBe(true);
  expect(await waiting).toEqual({ kind: "stopped", message: "Back in 15 mins!" });
});

test("allowlist values select the rollout group; no cookie never does", () => {
  const rc = new RolloutController(0, ["1", "2"]);
  expect(rc.selects("1")).toBe(true);
  expect(rc.selects("2")).toBe(true);
  expect(rc.selects("3")).toBe(false);
  expect(rc.selects(undefined)).toBe(false);
  // Go's hash/fnv New32a values, so a cookie lands on the same side as with kamal-proxy.
  expect([fnv1a32("a"), fnv1a32("foobar")]).toEqual([0xe40c292c, 0xbf9cf968]);
});

const values = Array.from({ length: 1000 }, (_, i) => String(i).padStart(5, "0"));

test("at 60% about 600 of 1000 values select the rollout group", () => {
  const rc = new RolloutController(60, []);
  const n = values.filter((v) => rc.selects(v)).length;
  expect(n).toBeGreaterThanOrEqual(580);
  expect(n).toBeLessThanOrEqual(620);
});

test("at 10% with an allowlist about 100 values are selected, the allowlisted always", () => {
  const rc = new RolloutController(10, ["00001", "00002"]);
  const n = values.filter((v) => rc.selects(v)).length;
  expect(n).toBeGreaterThanOrEqual(80);
  expect(n).toBeLessThanOrEqual(120);
  expect(rc.selects("00001") && rc.selects("00002")).toBe(true);
});

test("host lookup: exact beats wildcard, one level only, default last, nothing without default", async () => {
  const p = await startProxy();
  await p.deploy("exact", upstream("exact").addr, "--host=exact.example.com");
  await p.deploy("wild", upstream("wild").addr, "--host=*.example.com");
  const r = p.server.router;
  expect(r.lookup("exact.example.com", "/")?.service.name).toBe("exact");
  expect(r.lookup("anything.example.com", "/")?.service.name).toBe("wild");
  expect(r.lookup("extra.level.example.com", "/")).toBeUndefined();
  expect(r.lookup("other.com", "/")).toBeUndefined();
  await p.deploy("default", upstream("default").addr);
  expect(r.lookup("extra.level.example.com", "/")?.service.name).toBe("default");
  expect(r.lookup("other.com", "/")?.service.name).toBe("default");
  expect((await p.text("/", { host: "anything.example.com" })).body).toBe("wild");
});

test("request lookup by longest prefix, per host, with the default host's prefixes", async () => {
  const p = await startProxy();
  const u = upstream();
  await p.deploy("root", u.addr, "--host=example.com");
  await p.deploy("api", u.addr, "--host=example.com", "--path-prefix=/api");
  await p.deploy("special", u.addr, "--host=example.com", "--path-prefix=/api/special");
  await p.deploy("other-api", u.addr, "--host=other.com", "--path-prefix=/api");
  await p.deploy("default-root", u.addr);
  await p.deploy("default-api", u.addr, "--path-prefix=/api");
  const name = (host: string, path: string) => p.server.router.lookup(host, path)?.service.name;
  expect(["/", "/random", "/apiary"].map((x) => name("example.com", x))).toEqual(["root", "root", "root"]);
  expect(name("example.com", "/api")).toBe("api");
  expect(name("example.com", "/api/special")).toBe("special");
  expect(name("other.com", "/api")).toBe("other-api");
  expect(name("unknown.com", "/api/test")).toBe("default-api");
  expect(name("unknown.com", "/non-api/test")).toBe("default-root");
});

test("availability of (host, path) pairs", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr, "--host=example.com", "--path-prefix=/app");
  const r = p.server.router;
  expect(r.conflict("web", ["example.com"], ["/app"])).toBeUndefined();
  expect(r.conflict("other", ["new.example.com"], ["/app"])).toBeUndefined();
  expect(r.conflict("other", [], ["/app"])).toBeUndefined();
  expect(r.conflict("other", ["example.com"], ["/new"])).toBeUndefined();
  expect(r.conflict("other", ["example.com"], ["/app"])).toBe("web");
});

test("the default TLS hostname is empty until a TLS service with a host exists", async () => {
  const p = await startProxy();
  const r = p.server.router;
  await p.deploy("plain", upstream().addr, "--host=plain.example.com");
  expect(r.defaultTlsHostname()).toBe("");
  const { cert, key } = selfSignedCert();
  await p.deploy("secure", upstream().addr, "--host=secure.example.com", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  expect(r.defaultTlsHostname()).toBe("secure.example.com");
  // An on-demand service never sets it, nor displaces it (it is only validated until ACME exists).
  await p.deploy("ondemand", upstream().addr, "--tls", "--tls-on-demand-url=/allow");
  expect(r.defaultTlsHostname()).toBe("secure.example.com");
});

test("prefix services inherit TLS and redirect from the host's root service, and revert when it goes", async () => {
  const p = await startProxy();
  await p.deploy("root", upstream("root").addr, "--host=example.com", "--tls");
  await p.deploy("api", upstream("api").addr, "--host=example.com", "--path-prefix=/api");
  expect((await p.text("/api/x", { host: "example.com" })).status).toBe(301);
  await p.cli("remove", "root");
  expect(await p.text("/api/x", { host: "example.com" })).toMatchObject({ status: 200, body: "api" });
  const api = p.server.router.services.get("api")!;
  expect([api.tlsEnabled, api.tlsRedirect]).toEqual([false, true]);
});

test("a catch-all service does not block deploying a specific host", async () => {
  const p = await startProxy();
  await p.deploy("catchall", upstream("all").addr);
  expect((await p.deploy("specific", upstream("specific").addr, "--host=example.com")).code).toBe(0);
  expect((await p.text("/", { host: "example.com" })).body).toBe("specific");
});
