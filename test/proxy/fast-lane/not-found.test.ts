/**
 * A request no service claims is answered 404 by the front end itself (fast/not-found.ts), with the
 * page, headers and log line the chain gives; and the chain's Bun.serve is only started once a request
 * needs it (server.ts).
 */
import { expect, test } from "bun:test";
import { errorPageHtml } from "../../../proxy/error-pages.ts";
import { cleanupScope, startProxy } from "../helpers.ts";
import { connect, get, header, lengthResponse, rawUpstream } from "./support.ts";

cleanupScope();

const T = 15_000;
const PAGE = errorPageHtml(404);
const PAGE_BYTES = Buffer.byteLength(PAGE, "utf8");

/** The log fields that say what was asked and answered (not when, nor over which connection). */
const answerFields = (l: Record<string, unknown>) => {
  const { time: _t, duration: _d, client_port: _p, ...rest } = l;
  return rest;
};

test(
  "no service: the front end answers the chain's 404 page, headers and log line, without starting the chain",
  async () => {
    const p = await startProxy();
    const c = await connect(p.port);
    const extra = "X-Request-Id: req-1\r\nX-Forwarded-For: 203.0.113.9\r\nUser-Agent: probe/1\r\n";
    const fast = await c.request("GET", get("/nothing?x=1", "nobody.test", extra));
    expect(fast.status).toBe(404);
    // The body is read as latin1 bytes: compare bytes, since the page has non-ASCII text.
    expect(Buffer.from(fast.body, "latin1").toString("utf8")).toBe(PAGE);
    expect(header(fast, "content-type")).toBe("text/html; charset=utf-8");
    expect(header(fast, "content-length")).toBe(String(PAGE_BYTES));
    expect(Number.isNaN(Date.parse(header(fast, "date") ?? ""))).toBe(false);
    expect(p.server.chainStarted).toBe(false);

    // The same request with `Content-Length: 0` is one the front end hands to the chain: same answer.
    const chained = await c.request("GET", get("/nothing?x=1", "nobody.test", `${extra}Content-Length: 0\r\n`));
    expect(p.server.chainStarted).toBe(true);
    expect(chained.status).toBe(404);
    expect(Buffer.from(chained.body, "latin1").toString("utf8")).toBe(PAGE);
    expect(header(chained, "content-type")).toBe(header(fast, "content-type"));

    const [fastLog, chainLog] = p.requestLogs();
    expect(fastLog).toMatchObject({ status: 404, service: "", target: "", host: "nobody.test", path: "/nothing", query: "x=1", request_id: "req-1" });
    expect(fastLog).toMatchObject({ remote_addr: "203.0.113.9", client_addr: "127.0.0.1", user_agent: "probe/1", method: "GET", scheme: "http" });
    expect(fastLog!.resp_content_length).toBe(PAGE_BYTES);
    expect(answerFields(fastLog!)).toEqual(answerFields(chainLog!));
  },
  T,
);

test(
  "no service: a request without an id gets a fresh one in its log line; HEAD gets the head only",
  async () => {
    const p = await startProxy();
    const c = await connect(p.port);
    const head = await c.request("HEAD", "HEAD /x HTTP/1.1\r\nHost: nobody.test\r\n\r\n");
    expect(head.status).toBe(404);
    expect(head.body).toBe("");
    expect(header(head, "content-length")).toBe(String(PAGE_BYTES));
    // The connection goes on: nothing of the page was sent after the head.
    expect((await c.request("GET", get("/y", "nobody.test"))).status).toBe(404);
    expect(c.parsed().rest).toBe("");
    const logs = p.requestLogs();
    expect(logs.map((l) => [l.method, l.status, l.resp_content_length])).toEqual([
      ["HEAD", 404, 0],
      ["GET", 404, PAGE_BYTES],
    ]);
    expect(logs[0]!.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(logs[1]!.request_id).not.toBe(logs[0]!.request_id);
  },
  T,
);

test(
  "no service: `Connection: close` gets `connection: close` and the connection is closed after the page",
  async () => {
    const p = await startProxy();
    const c = await connect(p.port);
    const r = await c.request("GET", get("/", "nobody.test", "Connection: close\r\n"));
    expect(r.status).toBe(404);
    expect(header(r, "connection")).toBe("close");
    expect(await c.waitClosed(2000)).toBe(true);
  },
  T,
);

test(
  "pipelined 404s and fast-lane GETs on one connection are answered in order, each once",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => lengthResponse(`app saw ${req.path}`));
    expect((await p.deploy("web", up.addr, "--host=app.test")).code).toBe(0);
    const c = await connect(p.port);
    const paths = Array.from({ length: 300 }, (_, i) => `/r${i}`);
    const bytes = paths.map((path, i) => get(path, i % 3 === 0 ? "app.test" : "nobody.test")).join("");
    const rs = await c.pipeline(
      paths.map(() => "GET"),
      bytes,
    );
    expect(rs.map((r) => r.status)).toEqual(paths.map((_, i) => (i % 3 === 0 ? 200 : 404)));
    expect(rs.filter((_, i) => i % 3 === 0).map((r) => r.body)).toEqual(paths.filter((_, i) => i % 3 === 0).map((path) => `app saw ${path}`));
    expect(up.received.map((r) => r.path)).toEqual(paths.filter((_, i) => i % 3 === 0));
    expect(p.requestLogs().map((l) => l.path)).toEqual(paths);
    expect(c.parsed().rest).toBe("");
  },
  T,
);

test("20,000 pipelined 404s to a client that does not read: answered in full once it reads, in order", async () => {
  const p = await startProxy();
  const c = await connect(p.port);
  c.pause();
  const n = 20_000;
  // ~570 KB of requests asking for ~17 MB of pages, more than the sockets hold: the proxy's writes back
  // up, and it must stop taking requests until they drain (not answer them all into its own memory).
  c.pipeline(
    Array.from({ length: n }, () => "GET"),
    Array.from({ length: n }, (_, i) => get(`/n${i}`, "nobody.test")).join(""),
    25_000,
  ).catch(() => undefined);
  await Bun.sleep(300);
  const answeredWhilePaused = p.requestLogs().length;
  expect(answeredWhilePaused).toBeLessThan(n);
  c.resume();
  expect(await c.until(() => c.received.split("HTTP/1.1 404 ").length - 1 === n, 20_000)).toBe(true);
  const rs = c.parsed().responses;
  expect(rs.every((r) => r.status === 404 && r.body.length === PAGE_BYTES)).toBe(true);
  expect(p.requestLogs().map((l) => l.path)).toEqual(Array.from({ length: n }, (_, i) => `/n${i}`));
}, 40_000);

test(
  "the chain starts on the first request that needs it, and serves it",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => lengthResponse(`${req.method} ${req.path} ${req.body}`));
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    expect((await c.request("GET", get("/fast"))).body).toBe("GET /fast ");
    expect(p.server.chainStarted).toBe(false);
    const post = await c.request("POST", "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    expect(post).toMatchObject({ status: 200, body: "POST /form hello" });
    expect(p.server.chainStarted).toBe(true);
  },
  T,
);
