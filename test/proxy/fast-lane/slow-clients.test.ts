/**
 * Slow and vanishing clients: a total deadline for the request head, the keep-alive idle timeout, and a
 * client that goes away while the app is still working (499, and the app's request is cancelled).
 */
import { expect, test } from "bun:test";
import { gate, waitFor } from "../../support/wait.ts";
import { cleanupScope, onCleanup, sleep, startProxy } from "../helpers.ts";
import { connect, get, lengthResponse, type RawConnHandle, rawUpstream } from "./support.ts";

cleanupScope();

test("a client trickling one header byte every 200 ms is cut within 5 s (a total header deadline of 1 s)", async () => {
  const p = await startProxy({ timeouts: { readHeader: 1000 } });
  const up = await rawUpstream(() => lengthResponse("never"));
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  const c = await connect(p.port);
  const t0 = performance.now();
  c.write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  // Every byte comes well within any inactivity timer; only a deadline on the whole head can end this.
  while (!c.closed && performance.now() - t0 < 6000) {
    await sleep(200);
    if (!c.closed) c.write("a");
  }
  expect(c.closed).toBe(true);
  expect(performance.now() - t0).toBeLessThan(5000);
  // At most a 408 before the close; the app never saw a request.
  expect(c.received === "" || c.received.startsWith("HTTP/1.1 408")).toBe(true);
  expect(up.received).toEqual([]);
}, 15_000);

test("an idle keep-alive connection is closed after the idle timeout", async () => {
  const p = await startProxy({ timeouts: { idle: 1000 } });
  const up = await rawUpstream((req) => lengthResponse(`answer ${req.path}`));
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  const c = await connect(p.port);
  expect(await c.request("GET", get("/a"))).toMatchObject({ status: 200, body: "answer /a" });
  expect(await c.request("GET", get("/b"))).toMatchObject({ status: 200, body: "answer /b" });
  const t0 = performance.now();
  expect(await c.waitClosed(12_000)).toBe(true);
  // A lower bound on a timer: a busy machine only makes the close later, never earlier.
  expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
  // Nothing was sent on the idle connection before it closed.
  expect(c.parsed().rest).toBe("");
  expect(up.received.map((r) => r.path)).toEqual(["/a", "/b"]);
}, 15_000);

test("a client that closes while the app is slow is logged as 499, and the app's request is cancelled", async () => {
  const p = await startProxy();
  const late = gate();
  onCleanup(late.release);
  const reached = Promise.withResolvers<RawConnHandle>();
  const up = await rawUpstream(async (req, conn) => {
    if (req.path !== "/slow") return lengthResponse("quick");
    reached.resolve(conn);
    await late.wait;
    return lengthResponse("late");
  });
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  const c = await connect(p.port);
  c.write(get("/slow?x=1"));
  const upstreamConn = await reached.promise;
  c.destroy();
  await waitFor(() => p.requestLogs().some((l) => l.path === "/slow"), "the request log line", 5000);
  expect(p.requestLogs().find((l) => l.path === "/slow")).toMatchObject({ status: 499, resp_content_length: 0, query: "x=1", method: "GET" });
  // HTTP/1.1 has one way to cancel a request in flight: closing its connection.
  await waitFor(() => upstreamConn.closed, "the proxy to close the app's connection", 5000);
  expect(up.received.map((r) => r.path)).toEqual(["/slow"]);
  // The proxy still serves.
  expect(await (await connect(p.port)).request("GET", get("/next"))).toMatchObject({ status: 200, body: "quick" });
}, 15_000);
