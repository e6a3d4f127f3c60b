/** Service logic, validation, metrics exclusion, state round trips. */
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultServiceOptions, hostsConfigured, serviceOptionsProblem } from "../../proxy/options.ts";
import { decodeState, encodeState } from "../../proxy/state.ts";
import { cleanupScope, echoUpstream, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("a POST through a service returns 200 with the body delivered", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr);
  const r = await p.text("/submit", { method: "POST", body: "payload" });
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ method: "POST", body: "payload" });
});

test("--client-ip-header replaces the incoming X-Forwarded-For", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr, "--client-ip-header=True-Client-IP");
  const withHeader = await (await p.request("/", { headers: { "true-client-ip": "203.0.113.9", "x-forwarded-for": "6.6.6.6" } })).json();
  expect(withHeader.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
  expect(withHeader.headers["true-client-ip"]).toBe("203.0.113.9");
  const without = await (await p.request("/", { headers: { "x-forwarded-for": "6.6.6.6" } })).json();
  expect(without.headers["x-forwarded-for"]).toBe("6.6.6.6, 127.0.0.1");
});

test("a host list counts only if non-empty without empty entries", () => {
  expect(hostsConfigured(["example.com"])).toBe(true);
  expect(hostsConfigured([])).toBe(false);
  expect(hostsConfigured(["*.x", ""])).toBe(false);
  const o = { ...defaultServiceOptions(), tls_enabled: true, hosts: ["*.x", ""] };
  expect(serviceOptionsProblem(o)).toBe("host must be set when using TLS");
});

test("validation messages, each wrapped in 'service options invalid'", async () => {
  const p = await startProxy();
  const t = `--target=${upstream().addr}`;
  const cases: [string[], string][] = [
    [["--tls-on-demand-url=/check"], "TLS must be enabled to use a TLS on-demand URL"],
    [["--tls", "--tls-on-demand-url=/check", "--host=a.com"], "cannot set hosts when using a TLS on-demand URL"],
    [["--tls", "--tls-on-demand-url=ftp://x.com/"], 'unsupported scheme "ftp" in tls-on-demand-url'],
    [["--tls", "--tls-on-demand-url=//x.com/"], "tls-on-demand-url must be a path or an absolute http(s) URL"],
    [["--tls"], "host must be set when using TLS"],
    [["--tls", "--host=a.com", "--path-prefix=/api"], "TLS settings must be specified on the root path service"],
    [["--host=a.com,b.com", "--canonical-host=c.com"], "canonical-host 'c.com' must be present in the hosts list: [a.com b.com]"],
  ];
  for (const [flags, message] of cases) {
    const r = await p.cli("deploy", "web", t, ...flags);
    expect(r).toEqual({ code: 1, out: "", err: `Error: service options invalid: ${message}\n` });
  }
});

test("the health path answers 200 running, paused or stopped; other paths 504/503/200", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr);
  expect((await p.text("/up")).status).toBe(200);
  await p.cli("pause", "web", "--max-pause=1ms");
  expect((await p.text("/up")).status).toBe(200);
  expect((await p.text("/other")).status).toBe(504);
  await p.cli("stop", "web");
  expect((await p.text("/up")).status).toBe(200);
  expect((await p.text("/other")).status).toBe(503);
  await p.cli("resume", "web");
  expect((await p.text("/other")).status).toBe(200);
});

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/anything`)).text();
}

test("metrics exclusion matches the stripped path exactly; excluded requests are still served", async () => {
  // A fixed port would collide between runs; pick a free one by binding and releasing.
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const h = await startProxy({ metricsPort: port });
  await h.deploy("root", upstream().addr, "--exclude-metrics-path=/up,/healthz");
  await h.deploy("api", upstream().addr, "--path-prefix=/api", "--exclude-metrics-path=/up");
  await h.deploy("raw", upstream().addr, "--path-prefix=/raw", "--strip-path-prefix=false", "--exclude-metrics-path=/up");
  for (const path of ["/up", "/healthz", "/up/nested", "/api/users", "/api/up", "/raw/up"]) expect((await h.text(path)).status).toBe(200);
  const text = await metricsText(port);
  const count = (svc: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(`kamal_proxy_http_requests_total{service="${svc}"`))
      .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
  expect(count("root")).toBe(1); // only /up/nested
  expect(count("api")).toBe(1); // /api/users; /api/up is excluded after stripping
  expect(count("raw")).toBe(1); // /raw/up is not /up when unstripped
  expect(h.requestLogs().filter((l) => l.path === "/up").length).toBe(1);
});

test("a state round trip keeps names, targets, options, stopped state and rollout split", async () => {
  let p = await startProxy();
  const a = upstream("active");
  const r = upstream("rollout");
  await p.deploy("web", a.addr, "--host=example.com", "--target-timeout=7s", "--buffer-requests", "--max-request-body=99");
  await p.cli("rollout", "deploy", "web", `--target=${r.addr}`);
  await p.cli("rollout", "set", "web", "--percent=20", "--list=42");
  await p.cli("stop", "web", "--message=Back soon");
  const states = decodeState(p.state.read()!);
  expect(decodeState(encodeState(states))).toEqual(states);
  const raw = JSON.parse(p.state.read()!)[0];
  expect(raw.target_options.response_timeout).toBe(7_000_000_000);
  expect(raw.pause_controller).toEqual({ state: 2, stop_message: "Back soon", fail_after: 0 });
  expect(raw.rollout_controller).toEqual({ percentage: 20, percentage_split_point: 858993459, allowlist: ["42"] });
  p = await p.restart();
  const body = (await p.text("/", { host: "example.com" })).body;
  expect(body).toContain("Back soon");
  await p.cli("resume", "web");
  expect((await p.text("/", { host: "example.com", headers: { cookie: "kamal-rollout=42" } })).body).toBe("rollout");
  expect((await p.text("/", { host: "example.com", method: "POST", body: "x".repeat(100) })).status).toBe(413);
});

test("the legacy state format loads", async () => {
  const up = upstream("legacy");
  const legacy = [{ name: "old", active_target: up.addr, hosts: ["legacy.example.com"], target_options: { response_timeout: 3_000_000_000 } }];
  const states = decodeState(JSON.stringify(legacy));
  expect(states[0]).toMatchObject({ active_targets: [up.addr], options: { hosts: ["legacy.example.com"], path_prefixes: ["/"] }, target_options: { response_timeout: 3000 } });
  const p = await startProxy();
  await p.stop();
  const dir = join(p.home, ".config", "kamal-proxy");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kamal-proxy.state"), JSON.stringify(legacy));
  const q = await p.restart();
  expect(await q.text("/", { host: "legacy.example.com" })).toMatchObject({ status: 200, body: "legacy" });
});
