/** Proxying, forwarded headers, draining, body buffering and limits, health-check URLs. */
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { healthCheckUrl } from "../../proxy/health-check.ts";
import { Target } from "../../proxy/target.ts";
import { gate, settlesAtOnce, waitFor, within } from "../support/wait.ts";
import { cleanupScope, echoUpstream, type Harness, onCleanup, rawRequest, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("a plain GET is proxied with the body intact", async () => {
  const p = await startProxy();
  const big = "0123456789".repeat(50_000);
  await p.deploy("web", upstream("x", (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : new Response(big))).addr);
  const r = await p.text("/big");
  expect(r.status).toBe(200);
  expect(r.body).toBe(big);
});

function sseUpstream() {
  let release!: () => void;
  const finished = new Promise<void>((r) => (release = r));
  const up = upstream("sse", (req) => {
    if (new URL(req.url).pathname === "/up") return new Response("ok");
    return new Response(
      new ReadableStream({
        async start(c) {
          c.enqueue(new TextEncoder().encode("data: hello\n\n"));
          await finished;
          c.close();
        },
      }),
      { headers: { "content-type": "text/event-stream; charset=utf-8" } },
    );
  });
  return { up, release };
}

for (const buffered of [false, true]) {
  test(`the first SSE event arrives while the upstream is still running (buffering ${buffered})`, async () => {
    const p = await startProxy();
    const { up, release } = sseUpstream();
    await p.deploy("web", up.addr, ...(buffered ? ["--buffer-responses", "--buffer-requests"] : []));
    const res = await p.request("/events");
    const reader = res.body!.getReader();
    // The upstream holds the stream open until release(), so a proxy that waited for the end would time out here.
    const first = await within(reader.read(), "the first event before the upstream finished");
    release();
    expect(new TextDecoder().decode(first.value)).toBe("data: hello\n\n");
    await reader.cancel();
  });
}

function wsUpstream() {
  return upstream(
    "ws",
    (req, srv) => {
      if (new URL(req.url).pathname === "/up") return new Response("ok");
      if (srv.upgrade(req)) return undefined;
      return new Response("expected websocket", { status: 400 });
    },
    {
      message(ws: any, m: any) {
        ws.send(m);
      },
    },
  );
}

function openWs(p: Harness, path = "/ws"): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}${path}`);
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error("websocket failed"));
  });
}

for (const buffered of [false, true]) {
  test(`WebSocket echo works through the proxy (buffering ${buffered}), beyond the body limits`, async () => {
    const p = await startProxy();
    const flags = buffered ? ["--buffer-requests", "--buffer-responses", "--buffer-memory=1", "--max-request-body=2", "--max-response-body=2"] : [];
    expect((await p.deploy("web", wsUpstream().addr, ...flags)).code).toBe(0);
    const ws = await openWs(p);
    const got = new Promise<string>((r) => (ws.onmessage = (e) => r(String(e.data))));
    ws.send("a message longer than the limits");
    expect(await got).toBe("a message longer than the limits");
    ws.close();
  });
}

test("a client that cancels mid-request is logged as 499", async () => {
  const p = await startProxy();
  const ac = new AbortController();
  const answer = gate();
  onCleanup(answer.release);
  await p.deploy(
    "web",
    upstream("slow", async (req) => {
      if (new URL(req.url).pathname === "/up") return new Response("ok");
      ac.abort(); // the request reached the app: the client gives up now, mid-request
      await answer.wait;
      return new Response("late");
    }).addr,
  );
  await expect(p.request("/slow", { signal: ac.signal })).rejects.toThrow();
  await waitFor(() => p.requestLogs().some((l) => l.path === "/slow"), "the request log line");
  expect(p.requestLogs().find((l) => l.path === "/slow")).toMatchObject({ status: 499, resp_content_length: 0 });
});

test("the upstream receives the client's Host header", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr);
  expect((await (await p.request("/", { host: "original.example.com:8080" })).json()).headers.host).toBe("original.example.com:8080");
});

test("forward-headers off replaces incoming X-Forwarded-* and keeps other headers", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr, "--forward-headers=false");
  const j = await (await p.request("/", { host: "example.com", headers: { "x-forwarded-for": "10.10.10.10", "x-forwarded-proto": "https", "x-forwarded-host": "evil.com", "x-custom": "kept" } })).json();
  expect(j.headers).toMatchObject({ "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-host": "example.com", "x-custom": "kept" });
});

test("forward-headers on appends the peer and keeps incoming proto/host, or computes them", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr, "--forward-headers");
  const j = await (await p.request("/", { host: "example.com", headers: { "x-forwarded-for": "10.10.10.10", "x-forwarded-proto": "https", "x-forwarded-host": "front.example.com" } })).json();
  expect(j.headers).toMatchObject({ "x-forwarded-for": "10.10.10.10, 127.0.0.1", "x-forwarded-proto": "https", "x-forwarded-host": "front.example.com" });
  const k = await (await p.request("/", { host: "example.com" })).json();
  expect(k.headers).toMatchObject({ "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-host": "example.com" });
});

test("the query string reaches the upstream byte for byte", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr);
  expect((await (await p.request("/q?p1=a;b;c&p2=%x&p3=ok")).json()).rawQuery).toBe("p1=a;b;c&p2=%x&p3=ok");
});

test("health-check requests are GET/HEAD of the (stripped) health path, query allowed", async () => {
  const p = await startProxy();
  await p.deploy("root", upstream().addr);
  await p.deploy("api", upstream().addr, "--path-prefix=/api");
  await p.deploy("raw", upstream().addr, "--path-prefix=/raw", "--strip-path-prefix=false");
  for (const s of ["root", "api", "raw"]) await p.cli("stop", s);
  expect((await p.text("/up")).status).toBe(200);
  expect((await p.text("/up?x=1")).status).toBe(200);
  expect((await p.text("/up", { method: "HEAD" })).status).toBe(200);
  expect((await p.text("/up", { method: "POST" })).status).toBe(503);
  expect((await p.text("/up/other")).status).toBe(503);
  expect((await p.text("/health")).status).toBe(503);
  expect((await p.text("/api/up")).status).toBe(200);
  expect((await p.text("/raw/up")).status).toBe(503);
});

test("a newly added target becomes healthy after its checks pass, then serves", async () => {
  const p = await startProxy();
  // The first three checks fail, the fourth passes: the deploy must wait through all of them.
  let checks = 0;
  const up = upstream("late", (req) => (new URL(req.url).pathname === "/up" ? new Response("", { status: ++checks > 3 ? 200 : 503 }) : new Response("late")));
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  expect(checks).toBeGreaterThanOrEqual(4);
  expect((await p.text("/")).body).toBe("late");
});

test("draining a target with no requests returns immediately", async () => {
  const t = new Target("127.0.0.1:1");
  // With its 60 s timer started it could not settle before a zero-delay timer.
  expect(await settlesAtOnce(t.drain(60_000))).toBe(true);
  expect(t.claim()).toBeUndefined();
});

/** An upstream whose answers wait until `release()` (at the latest at cleanup); `work` counts arrivals. */
function heldUpstream(name: string) {
  const answer = gate();
  onCleanup(answer.release);
  const up = upstream(name, async (req) => {
    if (new URL(req.url).pathname === "/up") return new Response("ok");
    await answer.wait;
    return new Response(`${name} done`);
  });
  const work = () => up.requests.filter((r) => new URL(r.url).pathname === "/work").length;
  return { ...up, release: answer.release, work };
}

test("draining waits for in-flight requests that finish within the timeout", async () => {
  const p = await startProxy();
  const old = heldUpstream("old");
  await p.deploy("web", old.addr);
  const inflight = [1, 2, 3].map(() => p.text("/work"));
  await waitFor(() => old.work() === 3, "three requests at the old target");
  const fresh = upstream("new");
  const deploying = p.cli("deploy", "web", `--target=${fresh.addr}`, "--health-check-interval=20ms", "--drain-timeout=30s");
  // The state is saved right after the swap, before the drain: from then on the old requests are drained.
  await waitFor(() => !!p.state.read()?.includes(fresh.addr), "the swap to the new target");
  expect((await p.text("/")).body).toBe("new");
  old.release();
  const r = await deploying;
  expect(r.code).toBe(0);
  for (const res of await Promise.all(inflight)) expect(res).toMatchObject({ status: 200, body: "old done" });
  expect((await p.text("/")).body).toBe("new");
});

test("a 10ms drain cancels 20 long-running requests with 504", async () => {
  const p = await startProxy();
  // The old target never answers on its own, so every answer below comes from the drain.
  const old = heldUpstream("old");
  await p.deploy("web", old.addr);
  const inflight = Array.from({ length: 20 }, () => p.text("/work"));
  await waitFor(() => old.work() === 20, "20 requests at the old target");
  expect((await p.cli("deploy", "web", `--target=${upstream("new").addr}`, "--health-check-interval=20ms", "--drain-timeout=10ms")).code).toBe(0);
  const results = await within(Promise.all(inflight), "the 20 cancelled requests");
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(504));
  expect(results.some((r) => r.body.includes("old done"))).toBe(false);
});

test("draining closes an open WebSocket at once", async () => {
  const p = await startProxy();
  await p.deploy("web", wsUpstream().addr);
  const ws = await openWs(p);
  const closed = new Promise<void>((r) => (ws.onclose = () => r()));
  // A drain that waited for the WebSocket would take the whole minute, far beyond the bound.
  const deployed = p.cli("deploy", "web", `--target=${upstream("new").addr}`, "--health-check-interval=20ms", "--drain-timeout=60s");
  expect((await within(deployed, "the deploy, which must not wait for the WebSocket", 15_000)).code).toBe(0);
  await within(closed, "the WebSocket to close");
});

function sizedUpstream() {
  return upstream("sized", async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/up") return new Response("ok");
    const body = await req.text();
    return new Response("r".repeat(Number(url.searchParams.get("size") ?? "0")), { headers: { "x-received": String(body.length) } });
  });
}

test("without buffering, body limits are not enforced (the flags were given, buffering off)", async () => {
  const p = await startProxy();
  const up = sizedUpstream();
  const r0 = await p.deploy("web", up.addr, "--buffer-requests=false", "--buffer-responses=false", "--max-request-body=10", "--max-response-body=10");
  expect(r0.code).toBe(0);
  const r = await p.text("/?size=100", { method: "POST", body: "q".repeat(100) });
  expect(r.status).toBe(200);
  expect(r.body.length).toBe(100);
  expect(r.res.headers.get("x-received")).toBe("100");
  // The client rejects the limit only when the buffering flag is missing altogether.
  expect((await p.deploy("web", up.addr, "--max-request-body=10")).err).toBe("Error: max-request-body can only be set when request buffering is enabled\n");
  expect((await p.deploy("web", up.addr, "--max-response-body=10")).err).toBe("Error: max-response-body can only be set when response buffering is enabled\n");
});

test("memory 10 / max 10 both ways: 21-byte request 413, 26-byte response 500", async () => {
  const p = await startProxy();
  await p.deploy("web", sizedUpstream().addr, "--buffer-requests", "--buffer-responses", "--buffer-memory=10", "--max-request-body=10", "--max-response-body=10");
  expect((await p.text("/", { method: "POST", body: "x".repeat(21) })).status).toBe(413);
  const big = await p.text("/?size=26");
  expect(big.status).toBe(500);
  expect(big.body).toBe("<h1>500 Internal Server Error</h1>");
  expect((await p.text("/?size=10", { method: "POST", body: "x".repeat(10) })).body).toBe("r".repeat(10));
});

test("memory 5 / max 20: spills to disk under the limit, rejects over it", async () => {
  const p = await startProxy();
  await p.deploy("web", sizedUpstream().addr, "--buffer-requests", "--buffer-responses", "--buffer-memory=5", "--max-request-body=20", "--max-response-body=20");
  const ok = await p.text("/", { method: "POST", body: "x".repeat(11) });
  expect(ok.status).toBe(200);
  expect(ok.res.headers.get("x-received")).toBe("11");
  expect((await p.text("/", { method: "POST", body: "x".repeat(29) })).status).toBe(413);
  expect(await p.text("/?size=11")).toMatchObject({ status: 200, body: "r".repeat(11) });
  expect((await p.text("/?size=39")).status).toBe(500);
});

test("one-way buffering leaves the other direction unlimited", async () => {
  const p = await startProxy();
  const up = sizedUpstream();
  await p.deploy("web", up.addr, "--buffer-requests", "--max-request-body=10");
  expect(await p.text("/?size=50")).toMatchObject({ status: 200, body: "r".repeat(50) });
  await p.deploy("web", up.addr, "--buffer-responses", "--max-response-body=10");
  const r = await p.text("/", { method: "POST", body: "x".repeat(50) });
  expect(r.status).toBe(200);
  expect(r.res.headers.get("x-received")).toBe("50");
});

test("a malformed chunked body gets 400 without buffering", async () => {
  const p = await startProxy();
  await p.deploy("web", sizedUpstream().addr);
  const out = await rawRequest(p.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n");
  expect(out.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
});

test("health-check URLs", () => {
  expect(healthCheckUrl("localhost:3000", { path: "/up", port: 0 })).toBe("http://localhost:3000/up");
  expect(healthCheckUrl("localhost:3000", { path: "/health", port: 8080 })).toBe("http://localhost:8080/health");
  expect(healthCheckUrl("localhost", { path: "/status", port: 9090 })).toBe("http://localhost:9090/status");
  expect(healthCheckUrl("localhost", { path: "/up", port: 0 })).toBe("http://localhost/up");
});

test("a request over the memory limit is held in a proxy-buffer-* temp file, deleted afterwards", async () => {
  const spillDir = mkdtempSync(join(tmpdir(), "spill-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = spillDir;
  onCleanup(() => {
    // Assigning undefined would store the string "undefined" and break every later temp dir.
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(spillDir, { recursive: true, force: true });
  });
  const p = await startProxy();
  let seenWhileInFlight: string[] = [];
  await p.deploy(
    "web",
    upstream("spill", async (req) => {
      if (new URL(req.url).pathname === "/up") return new Response("ok");
      seenWhileInFlight = readdirSync(spillDir).filter((f) => f.startsWith("proxy-buffer-"));
      return new Response(String((await req.text()).length));
    }).addr,
    "--buffer-requests",
    "--buffer-memory=5",
    "--max-request-body=100",
  );
  expect(await p.text("/", { method: "POST", body: "x".repeat(50) })).toMatchObject({ status: 200, body: "50" });
  expect(seenWhileInFlight.length).toBe(1);
  expect(readdirSync(spillDir).filter((f) => f.startsWith("proxy-buffer-"))).toEqual([]);
});
