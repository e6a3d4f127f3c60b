/**
 * Header handling for plain GETs, checked on both sides: what the app receives (forwarding headers,
 * request id and start, target, hop-by-hop removal) and what the client receives (hop-by-hop removal,
 * scoped cookies), plus the request log line.
 */
import { expect, test } from "bun:test";
import { cleanupScope, startProxy } from "../helpers.ts";
import { connect, get, header, headerAll, lengthResponse, rawUpstream, reqHeader } from "./support.ts";

cleanupScope();

const T = 15_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function setup(...flags: string[]) {
  const p = await startProxy();
  const up = await rawUpstream((req) => lengthResponse(`seen ${req.path}`));
  expect((await p.deploy("web", up.addr, ...flags)).code).toBe(0);
  return { p, up };
}

test(
  "the app sees X-Forwarded-For/-Proto/-Host, a generated X-Request-Id, X-Request-Start and X-Kamal-Target",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    const before = Date.now();
    for (const path of ["/one", "/two"]) expect(await c.request("GET", get(path, "app.example.com:8080"))).toMatchObject({ status: 200, body: `seen ${path}` });
    const after = Date.now();
    expect(up.received.length).toBe(2);
    const ids = new Set<string>();
    for (const r of up.received) {
      expect(reqHeader(r, "host")).toBe("app.example.com:8080");
      expect(reqHeader(r, "x-forwarded-for")).toBe("127.0.0.1");
      expect(reqHeader(r, "x-forwarded-proto")).toBe("http");
      expect(reqHeader(r, "x-forwarded-host")).toBe("app.example.com:8080");
      expect(reqHeader(r, "x-kamal-target")).toBe(up.addr);
      const id = reqHeader(r, "x-request-id")!;
      expect(id).toMatch(UUID);
      ids.add(id);
      const start = reqHeader(r, "x-request-start")!;
      expect(start).toMatch(/^t=\d+$/);
      expect(Number(start.slice(2))).toBeGreaterThanOrEqual(before);
      expect(Number(start.slice(2))).toBeLessThanOrEqual(after);
      // One of each: no duplicated header lines.
      for (const name of ["host", "x-forwarded-for", "x-request-id", "x-request-start", "x-kamal-target"]) expect(r.headers.filter(([k]) => k === name).length).toBe(1);
    }
    expect(ids.size).toBe(2);
    // The request id is not sent back to the client.
    const res = c.parsed().responses[0]!;
    expect(header(res, "x-request-id")).toBeUndefined();
  },
  T,
);

test(
  "the client's own X-Request-Id and X-Request-Start are kept",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    await c.request("GET", get("/", "x", "X-Request-Id: client-chosen-id-42\r\nX-Request-Start: t=42\r\n"));
    expect(reqHeader(up.received[0]!, "x-request-id")).toBe("client-chosen-id-42");
    expect(reqHeader(up.received[0]!, "x-request-start")).toBe("t=42");
    expect(p.requestLogs()[0]!.request_id).toBe("client-chosen-id-42");
  },
  T,
);

test(
  "hop-by-hop request headers are removed (Connection, Keep-Alive, named ones, TE unless trailers); Host is kept",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    const hop = "Connection: keep-alive, X-Hop, Host\r\nKeep-Alive: timeout=5\r\nX-Hop: secret\r\nProxy-Connection: keep-alive\r\nTE: gzip\r\nX-End-To-End: kept\r\n";
    expect((await c.request("GET", get("/hop", "a.test", hop))).status).toBe(200);
    expect((await c.request("GET", get("/te", "a.test", "TE: trailers\r\n"))).status).toBe(200);
    const [r1, r2] = up.received;
    for (const name of ["keep-alive", "x-hop", "proxy-connection", "te"]) expect(reqHeader(r1!, name)).toBeUndefined();
    // The proxy may talk keep-alive to the app in its own name, never pass the client's list on.
    expect(reqHeader(r1!, "connection") ?? "").not.toContain("X-Hop");
    expect(reqHeader(r1!, "host")).toBe("a.test");
    expect(reqHeader(r1!, "x-end-to-end")).toBe("kept");
    expect(reqHeader(r2!, "te")).toBe("trailers");
  },
  T,
);

test(
  "hop-by-hop response headers are removed; end-to-end ones (several Set-Cookie lines too) are kept",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream(() =>
      lengthResponse("body", "200 OK", "Connection: X-Resp-Hop\r\nX-Resp-Hop: drop me\r\nKeep-Alive: timeout=77, max=9\r\nProxy-Connection: keep-alive\r\nX-App: kept\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"),
    );
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    for (let i = 0; i < 2; i++) {
      const r = await c.request("GET", get(`/r${i}`));
      expect(r).toMatchObject({ status: 200, body: "body" });
      expect(header(r, "x-resp-hop")).toBeUndefined();
      expect(header(r, "proxy-connection")).toBeUndefined();
      expect(header(r, "keep-alive")).not.toBe("timeout=77, max=9");
      expect(header(r, "connection") ?? "").not.toContain("X-Resp-Hop");
      expect(header(r, "x-app")).toBe("kept");
      expect(headerAll(r, "set-cookie")).toEqual(["a=1", "b=2"]);
    }
    expect(up.received.map((r) => r.path)).toEqual(["/r0", "/r1"]);
  },
  T,
);

test(
  "with --path-prefix=/app --strip-path-prefix --scope-cookie-paths the app sees the stripped path and cookies are scoped",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => lengthResponse(`seen ${req.target}`, "200 OK", "Set-Cookie: session=abc; Path=/; HttpOnly\r\nSet-Cookie: pref=1; Path=/settings\r\n"));
    expect((await p.deploy("web", up.addr, "--path-prefix=/app", "--strip-path-prefix", "--scope-cookie-paths")).code).toBe(0);
    const c = await connect(p.port);
    const r = await c.request("GET", get("/app/page?q=1", "example.com"));
    expect(r).toMatchObject({ status: 200, body: "seen /page?q=1" });
    expect(headerAll(r, "set-cookie")).toEqual(["session=abc; Path=/app; HttpOnly", "pref=1; Path=/app/settings"]);
    expect(up.received.map((x) => x.target)).toEqual(["/page?q=1"]);
    // Outside the prefix there is no service.
    expect((await c.request("GET", get("/other", "example.com"))).status).toBe(404);
    expect(up.received.length).toBe(1);
  },
  T,
);

test(
  "the request log line for a GET has the same fields as before",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    await c.request("GET", get("/logged/path?a=1&b=2", "log.test", "User-Agent: fast-lane-test/1.0\r\n"));
    await c.request("GET", get("/second", "log.test"));
    const logs = p.requestLogs();
    expect(logs.length).toBe(2);
    const body = "seen /logged/path";
    expect(logs[0]).toMatchObject({
      status: 200,
      service: "web",
      target: up.addr,
      host: "log.test",
      path: "/logged/path",
      query: "a=1&b=2",
      method: "GET",
      user_agent: "fast-lane-test/1.0",
      resp_content_length: body.length,
      remote_addr: "127.0.0.1",
    });
    expect(logs[0]!.request_id).toBe(reqHeader(up.received[0]!, "x-request-id"));
    expect(logs[0]!.request_id).toMatch(UUID);
    expect(typeof logs[0]!.duration).toBe("number");
    expect(logs[1]).toMatchObject({ status: 200, path: "/second", query: "", resp_content_length: "seen /second".length });
    // The same keys, in the same order, as the chain's log line.
    const keys = [
      "time",
      "level",
      "msg",
      "host",
      "port",
      "path",
      "request_id",
      "status",
      "service",
      "target",
      "duration",
      "method",
      "req_content_length",
      "req_content_type",
      "resp_content_length",
      "resp_content_type",
      "client_addr",
      "client_port",
      "remote_addr",
      "user_agent",
      "proto",
      "scheme",
      "query",
    ];
    for (const l of logs) expect(Object.keys(l)).toEqual(keys);
    expect(logs[0]).toMatchObject({ msg: "Request", level: "INFO", port: expect.any(Number), req_content_length: 0, client_addr: "127.0.0.1", proto: "HTTP/1.1", scheme: "http" });
  },
  T,
);

test(
  "deployed with Kamal's flags (buffering, logged headers), a GET's log line carries the logged request and response headers",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => lengthResponse(`seen ${req.target}`, "200 OK", "Cache-Control: max-age=60\r\nX-Runtime: 0.012\r\n"));
    const flags = ["--buffer-requests", "--buffer-responses", "--log-request-header=Cache-Control", "--log-request-header=Last-Modified", "--log-request-header=User-Agent", "--log-response-header=X-Runtime"];
    expect((await p.deploy("web", up.addr, ...flags)).code).toBe(0);
    const c = await connect(p.port);
    const r = await c.request("GET", get("/k", "kamal.test", "Cache-Control: no-cache\r\nUser-Agent: kamal-test/2\r\n"));
    expect(r).toMatchObject({ status: 200, body: "seen /k" });
    const logs = p.requestLogs();
    expect(logs.at(-1)).toMatchObject({ path: "/k", status: 200, req_cache_control: "no-cache", req_last_modified: "", req_user_agent: "kamal-test/2", resp_x_runtime: "0.012" });
    expect(Object.keys(logs.at(-1)!).slice(-4)).toEqual(["req_cache_control", "req_last_modified", "req_user_agent", "resp_x_runtime"]);
  },
  T,
);

test(
  "an app's status line without a reason gets Go's text for the status; one with a reason keeps it",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => {
      const [status, reason] = req.path === "/teapot" ? ["418", ""] : req.path === "/gone" ? ["499", ""] : ["201", " Made It"];
      return `HTTP/1.1 ${status}${reason}\r\nContent-Length: 2\r\n\r\nok`;
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    // Go's http.StatusText spells 418 "I'm a teapot" (Node's table: "I'm a Teapot") and has 499.
    expect(await c.request("GET", get("/teapot"))).toMatchObject({ status: 418, reason: "I'm a teapot", body: "ok" });
    expect(await c.request("GET", get("/gone"))).toMatchObject({ status: 499, reason: "Client Closed Request", body: "ok" });
    expect(await c.request("GET", get("/made"))).toMatchObject({ status: 201, reason: "Made It", body: "ok" });
  },
  T,
);
