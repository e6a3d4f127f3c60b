/** Details that kamal-proxy's code shows but its tests do not: routing edges, health checks, timeouts, list output. */
import { expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { renderList } from "../../proxy/cli/main.ts";
import { scopeSetCookie } from "../../proxy/cookies.ts";
import { freePort } from "../support/free-port.ts";
import { gate, waitFor, within } from "../support/wait.ts";
import { cleanupScope, onCleanup, rawRequest, sleep, startProxy, type Upstream, upstream } from "./helpers.ts";

cleanupScope();

/** Health checks an upstream has received so far. */
const checks = (up: Upstream) => up.requests.filter((r) => new URL(r.url).pathname === "/up").length;

test("an exact host whose prefixes do not fit is 404, without falling back", async () => {
  const p = await startProxy();
  await p.deploy("api", upstream("api").addr, "--host=example.com", "--path-prefix=/api");
  await p.deploy("wild", upstream("wild").addr, "--host=*.com");
  await p.deploy("default", upstream("default").addr);
  expect((await p.text("/other", { host: "example.com" })).status).toBe(404);
  expect((await p.text("/api", { host: "example.com" })).body).toBe("api");
});

test("host matching is case-sensitive", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr, "--host=example.com");
  expect((await p.text("/", { host: "example.com" })).status).toBe(200);
  expect((await p.text("/", { host: "Example.com" })).status).toBe(404);
});

test("a redirect drops the port, keeps path and query, and closes the connection", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr, "--host=example.com,www.example.com", "--canonical-host=example.com");
  const raw = await rawRequest(p.port, "GET /a/b?c=d HTTP/1.1\r\nHost: www.example.com:8080\r\n\r\n");
  const head = raw.split("\r\n\r\n")[0]!.toLowerCase();
  expect(head.split("\r\n")[0]).toBe("http/1.1 301 moved permanently");
  expect(head).toContain("location: http://example.com/a/b?c=d");
  expect(head).toContain("connection: close");
  expect(head).toContain("content-type: text/html; charset=utf-8");
});

test("redirects happen before stop and need no healthy target", async () => {
  const p = await startProxy();
  const down = upstream("down", () => new Response("", { status: 500 }));
  await p.deploy("web", down.addr, "--host=example.com,www.example.com", "--canonical-host=example.com", "--force");
  await p.cli("stop", "web");
  expect((await p.text("/", { host: "www.example.com" })).status).toBe(301);
  expect((await p.text("/", { host: "example.com" })).status).toBe(503);
});

test("a single target stops being checked once healthy; multi-target groups keep checking", async () => {
  const p = await startProxy();
  const single = upstream("single");
  await p.deploy("single", single.addr, "--host=single.test");
  const checksAfterDeploy = single.requests.length;

  let bHealthy = true;
  const a = upstream("a");
  const b = upstream("b", (req) => (new URL(req.url).pathname === "/up" && !bHealthy ? new Response("", { status: 500 }) : new Response("b")));
  await p.deploy("multi", [a.addr, b.addr], "--host=multi.test");
  bHealthy = false;
  // A check is scheduled only after the previous one was reported, so the second check after the
  // flip means a failed one was reported; meanwhile several check intervals passed for `single` too.
  const bChecks = checks(b);
  await waitFor(() => checks(b) >= bChecks + 2, "two more checks of b");
  expect(single.requests.length).toBe(checksAfterDeploy);
  const bodies = new Set<string>();
  for (let i = 0; i < 4; i++) bodies.add((await p.text("/", { host: "multi.test" })).body);
  expect([...bodies]).toEqual(["a"]);
});

test("a deploy waits for all targets, readers included", async () => {
  const p = await startProxy();
  const bad = upstream("bad", () => new Response("", { status: 503 }));
  const r = await p.cli("deploy", "web", `--target=${upstream().addr}`, `--read-target=${bad.addr}`, "--deploy-timeout=100ms", "--health-check-interval=10ms");
  expect(r.err).toBe("Error: target failed to become healthy within configured timeout (100ms)\n");
});

test("--force swaps at once; requests get 503 until the first check passes", async () => {
  const p = await startProxy();
  let healthy = false;
  const up = upstream("forced", (req) => (new URL(req.url).pathname === "/up" && !healthy ? new Response("", { status: 503 }) : new Response("forced")));
  // The target never passes a check before the deploy returns, so success means it did not wait.
  expect((await p.deploy("web", up.addr, "--force", "--deploy-timeout=5s")).code).toBe(0);
  expect((await p.text("/")).status).toBe(503);
  healthy = true;
  await waitFor(() => p.logs.some((l) => l.includes('"Target health updated"') && l.includes('"state":"healthy"')), "a passing check to be reported");
  expect(await p.text("/")).toMatchObject({ status: 200, body: "forced" });
});

test("remove does not drain in-flight requests", async () => {
  const p = await startProxy();
  const answer = gate();
  onCleanup(answer.release);
  const up = upstream("slow", async (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : answer.wait.then(() => new Response("finished"))));
  await p.deploy("web", up.addr);
  const inflight = p.text("/work");
  await waitFor(() => up.requests.some((r) => r.url.endsWith("/work")), "the request at the app");
  // The app holds its answer until after the remove: a remove that drained would wait the default 30 s.
  expect((await within(p.cli("remove", "web"), "the remove, which must not drain")).code).toBe(0);
  answer.release();
  expect(await inflight).toMatchObject({ status: 200, body: "finished" });
});

test("--target-timeout limits only the wait for response headers", async () => {
  const p = await startProxy();
  const late = gate();
  onCleanup(late.release);
  await p.deploy(
    "web",
    upstream("t", async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/up") return new Response("ok");
      if (path === "/late-headers") return late.wait.then(() => new Response("late"));
      return new Response(
        new ReadableStream({
          async start(c) {
            for (let i = 0; i < 3; i++) {
              c.enqueue(new TextEncoder().encode(`${i}`));
              await sleep(100);
            }
            c.close();
          },
        }),
      );
    }).addr,
    "--target-timeout=100ms",
  );
  expect((await p.text("/late-headers")).status).toBe(504);
  expect(await p.text("/streaming")).toMatchObject({ status: 200, body: "012" });
});

test('the metrics listener answers every path and counts unrouted requests under service=""', async () => {
  // Port 0 turns the metrics listener off, so a number is picked up front.
  const p = await startProxy({ metricsPort: await freePort() });
  await p.text("/nowhere");
  for (const path of ["/metrics", "/", "/anything/else"]) {
    const text = await (await fetch(`http://127.0.0.1:${p.server.metricsPort}${path}`)).text();
    expect(text).toContain('kamal_proxy_http_requests_total{service="",method="GET",status="404"} 1');
    expect(text).toContain("kamal_proxy_http_request_duration_seconds_bucket");
  }
});

test("state is written after every mutating command, even a failed one; a corrupt file starts empty", async () => {
  let p = await startProxy();
  const stateFile = `${p.home}/.config/kamal-proxy/kamal-proxy.state`;
  await p.deploy("web", upstream().addr);
  expect(existsSync(stateFile)).toBe(true);
  rmSync(stateFile);
  expect((await p.cli("remove", "missing")).code).toBe(1);
  expect(existsSync(stateFile)).toBe(true);
  rmSync(stateFile);
  await p.stop();
  expect(existsSync(stateFile)).toBe(false);
  writeFileSync(stateFile, "{not json");
  p = await p.restart();
  expect((await p.text("/")).status).toBe(404);
  expect(p.logs.some((l) => l.includes("Failed to restore saved state"))).toBe(true);
});

test("list shows writers then readers, comma-joined, and * for the default host", async () => {
  const p = await startProxy();
  const [w1, w2, r1] = [upstream(), upstream(), upstream()];
  await p.cli("deploy", "web", `--target=${w1.addr},${w2.addr}`, `--read-target=${r1.addr}`, "--health-check-interval=20ms");
  await p.deploy("api", upstream().addr, "--host=a.com,b.com", "--path-prefix=/api,/v2");
  const out = (await p.cli("ls")).out;
  expect(out).not.toContain("\x1b"); // not a terminal: no styling, as lipgloss does
  expect(renderList({ web: { host: "*", path: "/", tls: false, target: "a:1", state: "running" } }, true)).toStartWith("\x1b[3;94mService\x1b[0m  ");
  const lines = out.trimEnd().split("\n");
  expect(lines[0]!.split(/\s{2,}/)).toEqual(["Service", "Host", "Path", "Target", "State", "TLS"]);
  expect(lines[1]!.split(/\s{2,}/).slice(0, 3)).toEqual(["api", "a.com,b.com", "/api,/v2"]);
  expect(lines[2]!.split(/\s{2,}/)).toEqual(["web", "*", "/", `${w1.addr},${w2.addr},${r1.addr}`, "running", "no"]);
});

test("error texts for unknown services and for rollout set without a rollout group", async () => {
  const p = await startProxy();
  for (const args of [
    ["remove", "nope"],
    ["rm", "nope"],
    ["pause", "nope"],
    ["stop", "nope"],
    ["resume", "nope"],
    ["rollout", "set", "nope", "--percent=5"],
    ["rollout", "stop", "nope"],
  ])
    expect(await p.cli(...args)).toEqual({ code: 1, out: "", err: "Error: service not found\n" });
  await p.deploy("web", upstream().addr);
  expect((await p.cli("rollout", "set", "web", "--percent=5")).err).toBe("Error: rollout target not set\n");
});

test("cookie scoping compares Domain exactly", () => {
  expect(scopeSetCookie("a=1; Path=/; Domain=.example.com", "/api", "example.com")).toBe("a=1; Path=/; Domain=.example.com");
  expect(scopeSetCookie("a=1; Path=/; Domain=example.com", "/api", "example.com")).toBe("a=1; Path=/api; Domain=example.com");
  expect(scopeSetCookie("a=1; HttpOnly", "/api", "example.com")).toBe("a=1; Path=/api; HttpOnly");
});

test("no server idle timeout: a response slower than Bun's 10 s default still arrives", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("patient", async (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : sleep(12_500).then(() => new Response("worth the wait")))).addr);
  expect(await p.text("/slow")).toMatchObject({ status: 200, body: "worth the wait" });
}, 20_000);
