/**
 * An absolute-form request target (RFC 9112 §3.2.2): the authority in the URI wins over the Host header,
 * for routing and for the Host the app sees (Bun.serve alone rebuilds the URL from Host). HTTPS:
 * test/proxy/hardening/https-front.test.ts.
 */
import { expect, test } from "bun:test";
import { cleanupScope, startProxy } from "../helpers.ts";
import { connect, lengthResponse, rawUpstream, reqHeader } from "./support.ts";

cleanupScope();

const T = 15_000;

async function setup() {
  const p = await startProxy();
  const a = await rawUpstream((req) => lengthResponse(`a saw ${req.target}`));
  const b = await rawUpstream((req) => lengthResponse(`b saw ${req.target}`));
  expect((await p.deploy("a", a.addr, "--host=a.test")).code).toBe(0);
  expect((await p.deploy("b", b.addr, "--host=b.test")).code).toBe(0);
  return { p, a, b };
}

test(
  "GET http://b.test/x with Host: a.test is routed to b.test's service, which sees Host b.test",
  async () => {
    const { p, a, b } = await setup();
    const c = await connect(p.port);
    const r = await c.request("GET", "GET http://b.test/x?y=1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect(r).toMatchObject({ status: 200, body: "b saw /x?y=1" });
    expect(a.received).toEqual([]);
    expect(b.received.length).toBe(1);
    expect(reqHeader(b.received[0]!, "host")).toBe("b.test");
    expect(b.received[0]!.target).toBe("/x?y=1");
    expect(p.requestLogs().map((l) => [l.service, l.host, l.path])).toEqual([["b", "b.test", "/x"]]);
  },
  T,
);

test(
  "on one connection, absolute-form and origin-form requests each go where their authority says",
  async () => {
    const { p, a, b } = await setup();
    const c = await connect(p.port);
    expect((await c.request("GET", "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n")).body).toBe("a saw /one");
    expect((await c.request("GET", "GET http://b.test/two HTTP/1.1\r\nHost: a.test\r\n\r\n")).body).toBe("b saw /two");
    expect((await c.request("GET", "GET http://a.test/three HTTP/1.1\r\nHost: b.test\r\n\r\n")).body).toBe("a saw /three");
    expect(a.received.map((r) => [r.target, reqHeader(r, "host")])).toEqual([
      ["/one", "a.test"],
      ["/three", "a.test"],
    ]);
    expect(b.received.map((r) => [r.target, reqHeader(r, "host")])).toEqual([["/two", "b.test"]]);
  },
  T,
);

test(
  "a request with a body (served by the chain) is routed by its absolute-form authority too",
  async () => {
    const { p, a, b } = await setup();
    const c = await connect(p.port);
    const r = await c.request("POST", "POST http://b.test/form HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nabc");
    expect(r).toMatchObject({ status: 200, body: "b saw /form" });
    expect(a.received).toEqual([]);
    expect(b.received.map((x) => [x.method, x.target, reqHeader(x, "host")])).toEqual([["POST", "/form", "b.test"]]);
  },
  T,
);

test(
  "requests served by the chain, one after the other on one connection, each go where their authority says",
  async () => {
    const { p, a, b } = await setup();
    const c = await connect(p.port);
    expect((await c.request("POST", "POST http://b.test/one HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n\r\n1")).body).toBe("b saw /one");
    expect((await c.request("POST", "POST http://a.test/two HTTP/1.1\r\nHost: b.test\r\nContent-Length: 1\r\n\r\n2")).body).toBe("a saw /two");
    expect((await c.request("POST", "POST /three HTTP/1.1\r\nHost: b.test\r\nContent-Length: 1\r\n\r\n3")).body).toBe("b saw /three");
    expect(a.received.map((r) => [r.target, reqHeader(r, "host")])).toEqual([["/two", "a.test"]]);
    expect(b.received.map((r) => [r.target, reqHeader(r, "host")])).toEqual([
      ["/one", "b.test"],
      ["/three", "b.test"],
    ]);
  },
  T,
);
