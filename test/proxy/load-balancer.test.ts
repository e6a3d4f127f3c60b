/** Load balancer, readers/writers, writer affinity, X-Kamal-Target, health checks. */
import { expect, test } from "bun:test";
import { checkOnce } from "../../proxy/health-check.ts";
import { LoadBalancer } from "../../proxy/load-balancer.ts";
import { DEFAULT_HEALTH_CHECK } from "../../proxy/protocol.ts";
import { gate } from "../support/wait.ts";
import { cleanupScope, echoUpstream, type Harness, onCleanup, startProxy, upstream } from "./helpers.ts";

cleanupScope();

const lbOptions = { healthCheck: { ...DEFAULT_HEALTH_CHECK, interval: 5, timeout: 500 }, writerAffinityTimeout: 1000, readTargetsAcceptWebsockets: false, fetch };

test("empty, '_' and '/' target names are invalid host patterns", async () => {
  for (const bad of ["", "_", "/"]) expect(() => new LoadBalancer([bad], [], lbOptions)).toThrow(`${bad} :invalid host pattern`);
  const p = await startProxy();
  expect((await p.cli("deploy", "web", "--target=_")).err).toBe("Error: _ :invalid host pattern\n");
});

test("target names keep the given order", async () => {
  expect(new LoadBalancer(["one", "two", "three"], [], lbOptions).writers.map((t) => t.address)).toEqual(["one", "two", "three"]);
});

test("waiting for health fails if any target answers 500 and succeeds when all answer 2xx", async () => {
  const good = upstream("good");
  const bad = upstream("bad", () => new Response("", { status: 500 }));
  const failing = new LoadBalancer([good.addr, bad.addr], [], lbOptions);
  failing.beginHealthChecks();
  await expect(failing.waitUntilHealthy(5)).rejects.toThrow("target failed to become healthy within configured timeout (5ms)");
  failing.stopHealthChecks();
  const ok = new LoadBalancer([good.addr, upstream("also-good").addr], [], lbOptions);
  ok.beginHealthChecks();
  await ok.waitUntilHealthy(1000);
  ok.stopHealthChecks();
});

test("round robin reaches both targets within four requests, the second target first", async () => {
  const p = await startProxy();
  const a = upstream("a");
  const b = upstream("b");
  await p.deploy("web", [a.addr, b.addr]);
  const bodies = [];
  for (let i = 0; i < 4; i++) bodies.push((await p.text("/")).body);
  expect(bodies).toEqual(["b", "a", "b", "a"]);
});

async function readerWriter(p: Harness, ...flags: string[]) {
  const writer = echoUpstream("writer");
  const reader = echoUpstream("reader");
  await p.cli("deploy", "web", `--target=${writer.addr}`, `--read-target=${reader.addr}`, "--health-check-interval=20ms", "--deploy-timeout=2s", ...flags);
  return { writer, reader };
}

test("with readers, GET/HEAD go to the reader and writes to the writer, consistently", async () => {
  const p = await startProxy();
  const { reader, writer } = await readerWriter(p);
  const name = async (method: string) => {
    const heads = () => reader.requests.filter((q) => q.method === "HEAD").length;
    const before = heads();
    const r = await p.request("/x", { method });
    // Health checks keep arriving at both targets, so count HEADs rather than look at the last request.
    if (method === "HEAD") return (await r.text(), heads() > before ? "reader" : "writer");
    return (await r.json()).name;
  };
  for (let i = 0; i < 2; i++) {
    expect(await name("GET")).toBe("reader");
    expect(await name("HEAD")).toBe("reader");
    for (const m of ["DELETE", "PATCH", "POST", "PUT"]) expect(await name(m)).toBe("writer");
  }
  expect(writer.requests.filter((r) => r.method === "GET" && !r.url.endsWith("/up")).length).toBe(0);
});

test("with no readers, GET and HEAD go to the writer", async () => {
  const p = await startProxy();
  const w = echoUpstream("writer");
  await p.deploy("web", w.addr);
  expect((await (await p.request("/")).json()).name).toBe("writer");
  expect((await p.request("/", { method: "HEAD" })).status).toBe(200);
  expect(w.requests.some((r) => r.method === "HEAD")).toBe(true);
});

function wsNamed(name: string) {
  return upstream(name, (req, srv) => (new URL(req.url).pathname === "/up" ? new Response("ok") : srv.upgrade(req) ? undefined : new Response(name)), {
    open(ws: any) {
      ws.send(name);
    },
    message() {},
  });
}

async function wsFirstMessage(p: Harness): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`);
  const msg = await new Promise<string>((resolve, reject) => {
    ws.onmessage = (e) => resolve(String(e.data));
    ws.onerror = () => reject(new Error("ws error"));
  });
  ws.close();
  return msg;
}

test("WebSocket upgrades go to the writer, or to a reader when allowed", async () => {
  const p = await startProxy();
  const w = wsNamed("writer");
  const r = wsNamed("reader");
  const base = ["deploy", "web", `--target=${w.addr}`, `--read-target=${r.addr}`, "--health-check-interval=20ms"];
  await p.cli(...base);
  expect(await wsFirstMessage(p)).toBe("writer");
  await p.cli(...base, "--read-target-websockets");
  expect(await wsFirstMessage(p)).toBe("reader");
});

test("a write sets the kamal-writer cookie; a GET with it goes to the writer without refreshing it", async () => {
  const p = await startProxy();
  await readerWriter(p, "--writer-affinity-timeout=200ms");
  const put = await p.request("/", { method: "PUT" });
  expect((await put.json()).name).toBe("writer");
  const cookie = put.headers.getSetCookie().find((c) => c.startsWith("kamal-writer="))!;
  expect(cookie).toBeDefined();
  const until = Number(/kamal-writer=(\d+)/.exec(cookie)![1]);
  expect(until).toBeGreaterThan(Date.now());
  expect(new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime()).toBeGreaterThan(Date.now());
  const get = await p.request("/", { headers: { cookie: `kamal-writer=${until}` } });
  expect((await get.json()).name).toBe("writer");
  expect(get.headers.getSetCookie()).toEqual([]);
  const plain = await p.request("/");
  expect((await plain.json()).name).toBe("reader");
  expect(plain.headers.getSetCookie()).toEqual([]);
  // The cookie's value is its expiry time: one in the past is what the cookie above becomes after 200 ms.
  expect((await (await p.request("/", { headers: { cookie: `kamal-writer=${Date.now() - 1}` } })).json()).name).toBe("reader");
});

test("no affinity cookie without readers, with timeout 0, or when the upstream opts out", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr);
  expect((await p.request("/", { method: "POST" })).headers.getSetCookie()).toEqual([]);
  await readerWriter(p, "--writer-affinity-timeout=0s");
  expect((await p.request("/", { method: "POST" })).headers.getSetCookie()).toEqual([]);
  const optOut = upstream("writer", (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : new Response("w", { headers: { "x-writer-affinity": "false" } })));
  await p.cli("deploy", "web", `--target=${optOut.addr}`, `--read-target=${echoUpstream().addr}`, "--health-check-interval=20ms");
  const res = await p.request("/", { method: "POST" });
  expect(res.headers.getSetCookie()).toEqual([]);
  expect(res.headers.has("x-writer-affinity")).toBe(false);
});

test("X-Kamal-Target is the chosen target, replaced or appended per forward-headers", async () => {
  const p = await startProxy();
  const { reader, writer } = await readerWriter(p, "--forward-headers=false");
  const seen = async (method: string, headers: Record<string, string> = {}) => (await (await p.request("/", { method, headers })).json()).headers["x-kamal-target"];
  expect(await seen("GET")).toBe(reader.addr);
  expect(await seen("POST")).toBe(writer.addr);
  expect(await seen("POST", { "x-kamal-target": "spoofed" })).toBe(writer.addr);
  await p.cli("deploy", "web", `--target=${writer.addr}`, `--read-target=${reader.addr}`, "--health-check-interval=20ms", "--forward-headers");
  expect(await seen("POST", { "x-kamal-target": "existing" })).toBe(`existing, ${writer.addr}`);
});

test("a 200 is healthy; 502, 502, 200 report false, false, true", async () => {
  const statuses = [502, 502, 200];
  const up = upstream("seq", () => new Response("", { status: statuses.shift() ?? 200 }));
  const cfg = { ...DEFAULT_HEALTH_CHECK, timeout: 1000 };
  const results = [];
  for (let i = 0; i < 3; i++) results.push((await checkOnce(`http://${up.addr}/up`, cfg, fetch)).ok);
  expect(results).toEqual([false, false, true]);
  expect((await checkOnce(`http://${upstream("ok").addr}/up`, cfg, fetch)).ok).toBe(true);
});

test("slow checks and 500s fail; any 2xx passes, redirects are followed", async () => {
  const late = gate();
  onCleanup(late.release);
  const up = upstream("slow", async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/slow") return late.wait.then(() => new Response("late"));
    if (path === "/error") return new Response("", { status: 500 });
    if (path === "/created") return new Response("", { status: 204 });
    if (path === "/moved") return Response.redirect("/created", 302);
    return new Response("");
  });
  const cfg = { ...DEFAULT_HEALTH_CHECK, timeout: 10 };
  expect((await checkOnce(`http://${up.addr}/slow`, cfg, fetch)).ok).toBe(false);
  expect((await checkOnce(`http://${up.addr}/error`, { ...cfg, timeout: 1000 }, fetch)).ok).toBe(false);
  expect((await checkOnce(`http://${up.addr}/created`, { ...cfg, timeout: 1000 }, fetch)).ok).toBe(true);
  expect((await checkOnce(`http://${up.addr}/moved`, { ...cfg, timeout: 1000 }, fetch)).ok).toBe(true);
});

test("a custom health-check Host is sent; wrong Host fails; empty uses the default", async () => {
  const up = upstream("hosty", (req) => new Response("", { status: req.headers.get("host") === "app.internal" ? 200 : 404 }));
  const other = upstream("any");
  const cfg = { ...DEFAULT_HEALTH_CHECK, timeout: 1000 };
  expect((await checkOnce(`http://${up.addr}/up`, { ...cfg, host: "app.internal" }, fetch)).ok).toBe(true);
  expect((await checkOnce(`http://${up.addr}/up`, { ...cfg, host: "wrong.internal" }, fetch)).ok).toBe(false);
  expect((await checkOnce(`http://${other.addr}/up`, { ...cfg, host: "" }, fetch)).ok).toBe(true);
  expect(other.requests[0]!.headers.get("host")).toBe(other.addr);
  expect(other.requests[0]!.headers.get("user-agent")).toBe("kamal-proxy");
});
