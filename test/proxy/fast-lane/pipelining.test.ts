/**
 * Pipelined requests (several in one write) are answered in order, each exactly once, and the app sees
 * them in order, on the fast lane (Bun.serve alone drops such connections: test/proxy/hardening/pipelining.test.ts
 * shows it, and covers the chain and HTTPS).
 */
import { expect, test } from "bun:test";
import { cleanupScope, startProxy } from "../helpers.ts";
import { binaryBody, connect, get, lengthResponse, rawUpstream } from "./support.ts";

cleanupScope();

const T = 15_000;

async function setup() {
  const p = await startProxy();
  const up = await rawUpstream((req) => lengthResponse(`${req.method} ${req.path} body=${req.body}`));
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  return { p, up };
}

test(
  "three GETs in one write get three answers, in order",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    const rs = await c.pipeline(["GET", "GET", "GET"], get("/a") + get("/b") + get("/c"));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(rs.map((r) => r.body)).toEqual(["GET /a body=", "GET /b body=", "GET /c body="]);
    expect(up.received.map((r) => r.path)).toEqual(["/a", "/b", "/c"]);
    // The connection lives on after the pipelined batch.
    expect(await c.request("GET", get("/d"))).toMatchObject({ status: 200, body: "GET /d body=" });
    expect(c.parsed().rest).toBe("");
  },
  T,
);

test(
  "three GETs in one write, ten times over on one connection, with a slow first answer",
  async () => {
    const p = await startProxy();
    // The first of each batch answers late: the answers must still come back in request order.
    const up = await rawUpstream(async (req) => {
      if (req.path.endsWith("/1")) await Bun.sleep(30);
      return lengthResponse(req.path);
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      const paths = [`/${i}/1`, `/${i}/2`, `/${i}/3`];
      expected.push(...paths);
      const rs = await c.pipeline(["GET", "GET", "GET"], paths.map((x) => get(x)).join(""));
      expect(rs.map((r) => r.body)).toEqual(paths);
    }
    expect(up.received.map((r) => r.path)).toEqual(expected);
  },
  T,
);

test(
  "a GET then a POST with a Content-Length body in one write: both answered, in order",
  async () => {
    const { p, up } = await setup();
    const c = await connect(p.port);
    const rs = await c.pipeline(["GET", "POST"], `${get("/first")}POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
    expect(rs.map((r) => r.body)).toEqual(["GET /first body=", "POST /second body=hello"]);
    expect(up.received.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual(["GET /first ", "POST /second hello"]);
    expect(await c.request("GET", get("/third"))).toMatchObject({ status: 200, body: "GET /third body=" });
  },
  T,
);

test(
  "a large streamed answer followed by small ones in the same write: no interleaving, bytes exact",
  async () => {
    const p = await startProxy();
    const big = binaryBody(512 * 1024, 4);
    const up = await rawUpstream((req) => {
      if (req.path === "/big") return `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
      if (req.method === "HEAD") return "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
      return lengthResponse(`small ${req.path}`);
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const rs = await c.pipeline(["GET", "HEAD", "GET"], `${get("/big")}HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n${get("/small")}`);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(rs[0]!.body === big).toBe(true);
    expect(rs[2]!.body).toBe("small /small");
    expect(c.parsed().rest).toBe("");
    expect(up.received.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /big", "HEAD /head", "GET /small"]);
  },
  T,
);
