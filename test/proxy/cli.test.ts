/** The command line as Kamal drives it: flag syntax, Go durations, errors, and `run` as a real process. */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../../proxy/cli/flags.ts";
import { runProxyCli } from "../../proxy/cli/main.ts";
import { formatDuration, parseDuration } from "../../proxy/duration.ts";
import { dataDir, socketPath } from "../../proxy/paths.ts";
import { freePort } from "../support/free-port.ts";
import { waitFor } from "../support/wait.ts";
import { cleanupScope, onCleanup, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("Go durations parse and format like time.Duration", () => {
  expect(parseDuration("500ms")).toBe(500);
  expect(parseDuration("30s")).toBe(30_000);
  expect(parseDuration("1m30s")).toBe(90_000);
  expect(parseDuration("1.5h")).toBe(5_400_000);
  expect(parseDuration("0")).toBe(0);
  expect(parseDuration("250us")).toBe(0.25);
  expect(() => parseDuration("30")).toThrow('time: missing unit in duration "30"');
  expect(() => parseDuration("abc")).toThrow('time: invalid duration "abc"');
  expect([20, 1500, 30_000, 90_000, 7_200_000, 0].map(formatDuration)).toEqual(["20ms", "1.5s", "30s", "1m30s", "2h0m0s", "0s"]);
});

test("pflag syntax: =value, separate value, bare and explicit booleans, comma lists and repeats", () => {
  const specs = [
    { name: "host", type: "list" as const, default: [], usage: "" },
    { name: "force", type: "bool" as const, default: false, usage: "" },
    { name: "tls-redirect", type: "bool" as const, default: true, usage: "" },
    { name: "deploy-timeout", type: "duration" as const, default: 30_000, usage: "" },
  ];
  const p = parseFlags(["svc", "--host=a.com,b.com", "--host", "c.com", "--force", "--tls-redirect=false", "--deploy-timeout", "5s"], specs);
  expect(p.args).toEqual(["svc"]);
  expect(p.values).toEqual({ host: ["a.com", "b.com", "c.com"], force: true, "tls-redirect": false, "deploy-timeout": 5000 });
  expect(() => parseFlags(["--nope"], specs)).toThrow("unknown flag: --nope");
  expect(() => parseFlags(["--deploy-timeout=x"], specs)).toThrow('invalid argument "x" for "--deploy-timeout" flag: time: invalid duration "x"');
});

test("command errors: exit 1 with `Error: <message>`; help exits 0", async () => {
  const p = await startProxy();
  expect(await p.cli("deploy", "web")).toEqual({ code: 1, out: "", err: 'Error: required flag(s) "target" not set\n' });
  expect((await p.cli("deploy", `--target=${upstream().addr}`)).err).toBe("Error: accepts 1 arg(s), received 0\n");
  expect((await p.cli("frobnicate")).err).toContain('Error: unknown command "frobnicate"');
  expect((await p.cli("rollout", "set", "web")).err).toBe("Error: at least one of the flags in the group [percent list] is required\n");
  const help = await p.cli("deploy", "--help");
  expect(help.code).toBe(0);
  expect(help.out).toContain("--health-check-path");
  expect((await p.cli("--help")).out).toContain("Available Commands");
});

test("the client reports an unreachable control socket as an error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "proxy-nosock-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  let err = "";
  const code = await runProxyCli(["list"], "kamal-proxy", { out: () => {}, err: (t) => (err += t) }, { HOME: dir, KAMAL_PROXY_SOCKET: join(dir, "missing.sock") });
  expect(code).toBe(1);
  expect(err).toStartWith(`Error: dial unix ${join(dir, "missing.sock")}: connect:`);
});

test("socket and data-dir path rules", () => {
  expect(socketPath({ KAMAL_PROXY_SOCKET: "/s/k.sock", XDG_RUNTIME_DIR: "/run/user/1" })).toBe("/s/k.sock");
  expect(socketPath({ XDG_RUNTIME_DIR: "/run/user/1" })).toBe("/run/user/1/kamal-proxy.sock");
  expect(socketPath({ TMPDIR: "/t" })).toBe("/t/kamal-proxy.sock");
  const home = mkdtempSync(join(tmpdir(), "proxy-home-"));
  onCleanup(() => rmSync(home, { recursive: true, force: true }));
  expect(dataDir({ HOME: home })).toBe(join(home, ".config", "kamal-proxy"));
  expect(dataDir({ TMPDIR: "/t" })).toBe("/t");
});

test("`proxy-server run` as a process: ports from KAMAL_PROXY_* env, control socket, state in HOME, exits 0 on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "proxy-run-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const [httpPort, metricsPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    HOME: dir,
    KAMAL_PROXY_SOCKET: join(dir, "kamal-proxy.sock"),
    HTTP_PORT: "1",
    KAMAL_PROXY_HTTP_PORT: String(httpPort),
    KAMAL_PROXY_HTTPS_PORT: String(await freePort()),
    METRICS_PORT: String(metricsPort),
  };
  const main = join(import.meta.dir, "../../src/main.ts");
  const server = Bun.spawn(["bun", main, "proxy-server", "run"], { env, stdout: "pipe", stderr: "pipe" });
  onCleanup(() => server.kill());
  // The ports must be known up front: this test checks that the environment's values are used.
  await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/`).catch(() => undefined))?.status === 404, "the proxy process to listen");
  const up = upstream("from-process");
  // Async spawn: the upstream lives in this process and must answer health checks meanwhile.
  const deploy = Bun.spawn(["bun", main, "proxy-server", "deploy", "web", `--target=${up.addr}`, "--health-check-interval=20ms"], { env, stderr: "pipe" });
  expect(await deploy.exited).toBe(0);
  expect(await new Response(deploy.stderr).text()).toBe("");
  expect(await (await fetch(`http://127.0.0.1:${httpPort}/`)).text()).toBe("from-process");
  expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('service="web"');
  server.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  const out = await new Response(server.stdout).text();
  const msgs = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).msg);
  expect(msgs).toContain("Server started");
  expect(msgs.at(-1)).toBe("Server stopped");
  expect(await Bun.file(join(dir, ".config/kamal-proxy/kamal-proxy.state")).json()).toHaveLength(1);
}, 15_000);

test("Kamal's deploy, maintenance and live invocations are accepted with their values", async () => {
  const p = await startProxy();
  const up = upstream("kamal");
  const deploy = await p.cli(
    "deploy",
    "app-web",
    `--target=${up.addr}`,
    "--host=app.example.com",
    "--tls-redirect=false",
    "--deploy-timeout=30s",
    "--drain-timeout=30s",
    "--health-check-interval=1s",
    "--health-check-timeout=5s",
    "--health-check-path=/up",
    "--target-timeout=30s",
    "--buffer-requests",
    "--buffer-responses",
    "--buffer-memory=1048576",
    "--max-request-body=0",
    "--max-response-body=0",
    "--path-prefix=/",
    "--strip-path-prefix=true",
    "--forward-headers=false",
    "--log-request-header=Cache-Control",
    "--log-request-header=Last-Modified",
    "--log-request-header=User-Agent",
  );
  expect(deploy).toEqual({ code: 0, out: "", err: "" });
  const saved = JSON.parse(p.state.read()!)[0];
  expect(saved.target_options).toMatchObject({ buffer_requests: true, buffer_responses: true, forward_headers: false, response_timeout: 30e9, log_request_headers: ["Cache-Control", "Last-Modified", "User-Agent"] });
  expect(saved.options).toMatchObject({ hosts: ["app.example.com"], acme_cache_path: `${p.home}/.config/kamal-proxy/certs` });
  expect((await p.cli("stop", "app-web", "--drain-timeout=30s", "--message=Scheduled maintenance")).code).toBe(0);
  expect((await p.text("/", { host: "app.example.com" })).body).toContain("Scheduled maintenance");
  expect((await p.cli("resume", "app-web")).code).toBe(0);
  expect((await p.text("/", { host: "app.example.com" })).body).toBe("kamal");
  expect((await p.cli("remove", "app-web")).code).toBe(0);
});
