/**
 * Commands and flags of kamal-proxy's newer releases that Kamal users' tools send: `list --json`,
 * `rollout enable|disable`, `deploy --tls-on-demand-url/--client-ip-header/--exclude-metrics-path`.
 * A flag the proxy does not know stays an error.
 */
import { expect, test } from "bun:test";
import { cleanupScope, echoUpstream, startProxy, upstream } from "../helpers.ts";

cleanupScope();

test("list --json prints the newer kamal-proxy shape; rollout disable/enable keep the split", async () => {
  const p = await startProxy();
  const a = upstream("active");
  const r = upstream("rollout");
  expect((await p.deploy("web", a.addr, "--host=a.test", "--host=b.test")).code).toBe(0);
  const listed = await p.cli("list", "--json");
  expect(JSON.parse(listed.out)).toEqual({ web: { hosts: ["a.test", "b.test"], path_prefixes: ["/"], tls: false, targets: [a.addr], state: "running" } });
  expect((await p.cli("rollout", "enable", "web")).err).toBe("Error: rollout target not set\n");
  expect((await p.cli("rollout", "deploy", "web", `--target=${r.addr}`, "--deploy-timeout=2s")).code).toBe(0);
  expect((await p.cli("rollout", "set", "web", "--list=beta")).code).toBe(0);
  const asBeta = { host: "a.test", headers: { cookie: "kamal-rollout=beta" } };
  expect((await p.text("/", asBeta)).body).toBe("rollout");
  expect((await p.cli("rollout", "disable", "web")).code).toBe(0);
  expect((await p.text("/", asBeta)).body).toBe("active");
  expect(JSON.parse(p.state.read()!)[0].rollout_controller).toMatchObject({ allowlist: ["beta"], disabled: true });
  const restarted = await p.restart();
  expect((await restarted.text("/", asBeta)).body).toBe("active");
  expect((await restarted.cli("rollout", "enable", "web")).code).toBe(0);
  expect((await restarted.text("/", asBeta)).body).toBe("rollout");
  expect((await restarted.cli("list", "--bogus")).err).toContain("unknown flag: --bogus");
});

test("deploy accepts and honours --client-ip-header, --exclude-metrics-path and --tls-on-demand-url; unknown flags fail", async () => {
  const p = await startProxy({ metricsPort: 0 });
  const echo = echoUpstream();
  const deployed = await p.deploy("web", echo.addr, "--client-ip-header=True-Client-IP", "--exclude-metrics-path=/ping");
  expect(deployed).toEqual({ code: 0, out: "", err: "" });
  const seen = await (await p.request("/ping", { headers: { "true-client-ip": "203.0.113.7" } })).json();
  expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  const saved = JSON.parse(p.state.read()!)[0].options;
  expect(saved).toMatchObject({ client_ip_header: "True-Client-IP", exclude_metrics_paths: ["/ping"] });
  // On-demand TLS serves any host, so it takes the catch-all route: remove the first service.
  expect((await p.cli("remove", "web")).code).toBe(0);
  const onDemand = await p.deploy("tls", upstream().addr, "--tls", "--tls-on-demand-url=/allow", "--path-prefix=/");
  expect(onDemand.code).toBe(0);
  expect(JSON.parse(p.state.read()!).find((s: { name: string }) => s.name === "tls").options.tls_on_demand_url).toBe("/allow");
  expect(await p.deploy("other", echo.addr, "--no-such-flag")).toEqual({ code: 1, out: "", err: "Error: unknown flag: --no-such-flag\n" });
});
