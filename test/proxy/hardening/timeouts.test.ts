/**
 * Slow and idle clients: header-read, keep-alive idle and request-body timeouts, and --target-timeout
 * counting only the wait for the response. Bun's connection timer has whole-second, coarse steps, so the
 * waits below are bounded generously; no assertion is about speed.
 */
import { expect, test } from "bun:test";
import { runProxyCli } from "../../../proxy/cli/main.ts";
import { gate, waitFor } from "../../support/wait.ts";
import { cleanupScope, onCleanup, sleep, startProxy, upstream } from "../helpers.ts";
import { spawnProxyProcess, tempHome } from "./proxy-process.ts";
import { rawConnect, statuses } from "./raw-client.ts";
import { recordingUpstream } from "./recording-upstream.ts";

cleanupScope();

const SHORT = { readHeader: 1000, idle: 1000, requestBody: 1000 };
/** Bun's timer is coarse (measured: a 1 s timeout closes a silent new connection after ~12 s). */
const BOUND = 20_000;

test("an idle keep-alive connection is closed after the idle timeout", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = upstream("app");
  await p.deploy("web", up.addr);
  const c = await rawConnect(p.port);
  c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(await c.waitFor("app", 5000)).toBe(true);
  const t0 = performance.now();
  expect(await c.waitClosed(BOUND)).toBe(true);
  // A lower bound on a timer: a busy machine only makes the close later, never earlier.
  expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
}, 30_000);

test("a connection that sends no request, or stops in the middle of its headers, is closed", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const silent = await rawConnect(p.port);
  const half = await rawConnect(p.port);
  half.write("GET / HTTP/1.1\r\nHost: x\r\nX-Par");
  expect(await silent.waitClosed(BOUND)).toBe(true);
  expect(await half.waitClosed(BOUND)).toBe(true);
  expect(silent.received + half.received).toBe("");
}, 30_000);

test("a client trickling header bytes is cut at the header deadline, however often it sends", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const c = await rawConnect(p.port);
  const line = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  c.write(line);
  // One byte every 300 ms: each resets an inactivity timer, but the header-read timeout (1 s) runs from
  // the request's first byte, so the connection is closed with no answer well before 6 s.
  for (let i = 0; i < 20 && !c.closed; i++) {
    await sleep(300);
    c.write("a");
  }
  expect(c.closed).toBe(true);
  expect(c.received).toBe("");
}, 30_000);

test("idle clients cannot exhaust descriptors: with 256 fds and 240 idle clients, a new client is served", async () => {
  const px = await spawnProxyProcess(tempHome("proxy-fds-"), { flags: ["--read-header-timeout=1s", "--idle-timeout=1s"], limitFds: 256 });
  const up = upstream("still-serving");
  expect(await px.cli("deploy", "web", `--target=${up.addr}`, "--health-check-interval=20ms")).toBe(0);
  const idle = await Promise.all(Array.from({ length: 240 }, () => rawConnect(px.port)));
  onCleanup(() => {
    for (const c of idle) c.destroy();
  });
  // Every idle client is closed by the proxy...
  const closed = await Promise.all(idle.map((c) => c.waitClosed(BOUND)));
  expect(closed.filter(Boolean).length).toBe(240);
  // ...so a new client (and another 240 after it) still gets descriptors.
  const res = await fetch(`http://127.0.0.1:${px.port}/`, { signal: AbortSignal.timeout(5000) });
  expect(await res.text()).toBe("still-serving");
}, 40_000);

test("a slow but moving upload is never cut, and --target-timeout does not count it", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = recordingUpstream((r) => new Response(`got ${r.body.length}`));
  await p.deploy("web", up.addr, "--target-timeout=1s");
  const c = await rawConnect(p.port);
  c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n");
  // 16 bytes over ~4 s: longer than the body timeout between the first and last byte, and longer than
  // the target timeout in total, but never a pause as long as either.
  for (let i = 0; i < 16; i++) {
    await sleep(250);
    c.write("x");
  }
  expect(await c.waitFor("got 16", 5000)).toBe(true);
  expect(statuses(c.received)).toEqual([200]);
  expect(up.received).toEqual([{ method: "POST", path: "/upload", host: "x", body: "x".repeat(16) }]);
}, 30_000);

test("--target-timeout still answers 504 when the app is slow after the whole body arrived", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const late = gate();
  onCleanup(late.release);
  const up = recordingUpstream(async () => {
    await late.wait; // answers only after the test, so the 504 can only be the proxy's own
    return new Response("late");
  });
  await p.deploy("web", up.addr, "--target-timeout=1s");
  const res = await p.request("/", { method: "POST", body: "abc" });
  expect(res.status).toBe(504);
  expect(up.received.map((r) => r.body)).toEqual(["abc"]);
}, 30_000);

test("a stalled request body gets 408 and the connection closes; the app never gets a whole request", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = recordingUpstream();
  await p.deploy("web", up.addr);
  const c = await rawConnect(p.port);
  c.write("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  expect(await c.waitClosed(BOUND)).toBe(true);
  expect(statuses(c.received)).toEqual([408]);
  // The app saw the request start, and its body end in an error: never a whole request.
  await waitFor(() => up.received.every((r) => r.bodyError !== undefined), "the app's body read to end");
  expect(up.received.length).toBeLessThanOrEqual(1);
  for (const r of up.received) expect(r.bodyError).toBeDefined();
  expect(p.requestLogs().map((l) => l.status)).toEqual([408]);
}, 30_000);

test("a stalled body with request buffering gets 408 and the app receives nothing", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = recordingUpstream();
  await p.deploy("web", up.addr, "--buffer-requests");
  const c = await rawConnect(p.port);
  c.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  expect(await c.waitClosed(BOUND)).toBe(true);
  expect(statuses(c.received)).toEqual([408]);
  expect(up.received).toEqual([]);
}, 30_000);

test("a slow app (longer than the idle timeout) still answers: the timer is off while a request is handled", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = upstream("slow", async (req) => {
    if (new URL(req.url).pathname !== "/up") await sleep(3000);
    return new Response("slow");
  });
  await p.deploy("web", up.addr);
  expect((await p.text("/")).body).toBe("slow");
}, 30_000);

test("an upload that waits out a pause is not cut by the body timeout", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = recordingUpstream((r) => new Response(r.body));
  await p.deploy("web", up.addr);
  expect((await p.cli("pause", "web", "--drain-timeout=1s", "--max-pause=10s")).code).toBe(0);
  const pending = p.text("/", { method: "POST", body: "held" });
  await sleep(3000);
  expect((await p.cli("resume", "web")).code).toBe(0);
  expect(await pending).toMatchObject({ status: 200, body: "held" });
}, 30_000);

test("an idle WebSocket is never cut by the HTTP timeouts", async () => {
  const p = await startProxy({ timeouts: SHORT });
  const up = upstream("ws", (req, srv) => (srv.upgrade(req) ? undefined : new Response("ok")), {
    message(ws: any, m: any) {
      ws.send(`echo:${m}`);
    },
  });
  await p.deploy("web", up.addr);
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}/cable`);
  await new Promise((r) => (ws.onopen = r));
  let closed = false;
  ws.onclose = () => (closed = true);
  await sleep(4000);
  expect(closed).toBe(false);
  const reply = new Promise<string>((r) => (ws.onmessage = (e) => r(String(e.data))));
  ws.send("still here");
  expect(await reply).toBe("echo:still here");
  ws.close();
}, 30_000);

test("run refuses timeouts Bun cannot express", async () => {
  const io = { out: () => {}, err: (t: string) => void (err += t) };
  let err = "";
  expect(await runProxyCli(["run", "--idle-timeout=10m"], "kamal-proxy", io, { HOME: "/nonexistent" })).toBe(1);
  expect(err).toBe("Error: idle-timeout must be at most 255s\n");
});
