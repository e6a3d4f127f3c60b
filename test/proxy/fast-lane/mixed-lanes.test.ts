/**
 * One client connection carrying requests of different kinds one after the other: plain GETs, a request
 * with a body, and a WebSocket upgrade after a GET. Whatever lane each one takes inside the proxy, the
 * client sees one well-formed conversation.
 */
import { expect, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import { cleanupScope, startProxy, upstream } from "../helpers.ts";
import { connect, get, header } from "./support.ts";

cleanupScope();

const T = 15_000;

/** A masked client text frame (RFC 6455 §5.2), payload under 126 bytes. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** The first unmasked server frame in `bytes` (latin1): its opcode and payload, or undefined if incomplete. */
function serverFrame(bytes: string): { fin: boolean; opcode: number; payload: string } | undefined {
  if (bytes.length < 2) return undefined;
  const b0 = bytes.charCodeAt(0);
  const b1 = bytes.charCodeAt(1);
  if (b1 & 0x80) throw new Error("a server frame must not be masked");
  let len = b1 & 0x7f;
  let off = 2;
  if (len === 126) {
    if (bytes.length < 4) return undefined;
    len = (bytes.charCodeAt(2) << 8) | bytes.charCodeAt(3);
    off = 4;
  } else if (len === 127) throw new Error("unexpectedly long frame");
  if (bytes.length < off + len) return undefined;
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: Buffer.from(bytes.slice(off, off + len), "latin1").toString("utf8") };
}

test(
  "a GET, then a WebSocket upgrade on the same connection: 101 and an echoed frame",
  async () => {
    const p = await startProxy();
    const upgrades: string[] = [];
    const up = upstream(
      "ws-app",
      (req, srv) => {
        const path = new URL(req.url).pathname;
        if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
          upgrades.push(path);
          return srv.upgrade(req) ? undefined : new Response("no upgrade", { status: 400 });
        }
        return new Response(`plain ${path}`);
      },
      {
        message(ws: ServerWebSocket<unknown>, m: string | Buffer) {
          ws.send(`echo:${m}`);
        },
      },
    );
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    expect(await c.request("GET", get("/page"))).toMatchObject({ status: 200, body: "plain /page" });
    const key = Buffer.from("0123456789abcdef").toString("base64");
    const upgrade = await c.request("GET", get("/cable", "x", `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`));
    expect(upgrade.status).toBe(101);
    expect(header(upgrade, "upgrade")?.toLowerCase()).toBe("websocket");
    expect(header(upgrade, "connection")?.toLowerCase()).toContain("upgrade");
    // The accept value for this key (RFC 6455 §4.2.2).
    const accept = new Bun.CryptoHasher("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    expect(header(upgrade, "sec-websocket-accept")).toBe(accept);
    c.write(clientTextFrame("ping over the same connection"));
    const framesAt = () => c.parsed().rest;
    expect(await c.until(() => serverFrame(framesAt()) !== undefined, 5000)).toBe(true);
    expect(serverFrame(framesAt())).toEqual({ fin: true, opcode: 1, payload: "echo:ping over the same connection" });
    expect(up.requests.filter((r) => new URL(r.url).pathname !== "/up").map((r) => new URL(r.url).pathname)).toEqual(["/page", "/cable"]);
    expect(upgrades).toEqual(["/cable"]);
    c.destroy();
  },
  T,
);

test(
  "GET, then POST with a body, then GET on one connection",
  async () => {
    const p = await startProxy();
    const seen: string[] = [];
    const up = upstream("app", async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/up") return new Response("ok");
      const body = await req.text();
      seen.push(`${req.method} ${path} ${body}`);
      return new Response(`${req.method} ${path} got ${body.length}`);
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const body = "x".repeat(100_000);
    for (let round = 0; round < 3; round++) {
      expect(await c.request("GET", get(`/a${round}`))).toMatchObject({ status: 200, body: `GET /a${round} got 0` });
      expect(await c.request("POST", `POST /b${round} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`)).toMatchObject({
        status: 200,
        body: `POST /b${round} got ${body.length}`,
      });
      // A chunked request body too.
      expect(await c.request("POST", `POST /c${round} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`)).toMatchObject({
        status: 200,
        body: `POST /c${round} got 5`,
      });
      expect(await c.request("GET", get(`/d${round}`))).toMatchObject({ status: 200, body: `GET /d${round} got 0` });
    }
    expect(c.closed).toBe(false);
    expect(c.parsed().rest).toBe("");
    expect(seen).toEqual([0, 1, 2].flatMap((r) => [`GET /a${r} `, `POST /b${r} ${body}`, `POST /c${r} abcde`, `GET /d${r} `]));
  },
  T,
);

test(
  "a POST with Expect: 100-continue between GETs on one connection",
  async () => {
    const p = await startProxy();
    const seen: string[] = [];
    const up = upstream("app", async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/up") return new Response("ok");
      const body = await req.text();
      seen.push(`${req.method} ${path} ${body}`);
      return new Response(`${req.method} ${path} got ${body}`);
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    expect(await c.request("GET", get("/before"))).toMatchObject({ status: 200, body: "GET /before got " });
    c.methods.push("POST");
    c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n");
    // A client waits a moment for the 100 and sends the body anyway if none comes (RFC 9110 §10.1.1).
    await c.until(() => c.received.includes("HTTP/1.1 100"), 1000);
    c.write("payload");
    await c.until(() => c.parsed().responses.length === 2, 5000);
    expect(c.parsed().responses[1]).toMatchObject({ status: 200, body: "POST /upload got payload" });
    expect(await c.request("GET", get("/after"))).toMatchObject({ status: 200, body: "GET /after got " });
    expect(c.parsed().rest).toBe("");
    expect(seen).toEqual(["GET /before ", "POST /upload payload", "GET /after "]);
  },
  T,
);

test("the chain closing its idle link (keep-alive timer) never closes a client still busy on the fast lane", async () => {
  // A 1 s idle timeout: the chain's link, idle after the POST, is closed by Bun's coarse timer within
  // some seconds, while the client keeps sending GETs every 250 ms (each resets the front end's own
  // idle deadline). The client's connection must stay open and every answer arrive; a later POST makes
  // a new link.
  const p = await startProxy({ timeouts: { idle: 1000 } });
  const up = upstream("app", async (req) => new Response(`${req.method} ${new URL(req.url).pathname} ${(await req.text()).length}`));
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  const c = await connect(p.port);
  const post = (path: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`;
  expect(await c.request("POST", post("/first"))).toMatchObject({ status: 200, body: "POST /first 3" });
  const until = performance.now() + 14_000;
  let i = 0;
  while (performance.now() < until) {
    expect(await c.request("GET", get(`/g${i}`))).toMatchObject({ status: 200, body: `GET /g${i} 0` });
    expect(c.closed).toBe(false);
    i++;
    await Bun.sleep(250);
  }
  expect(await c.request("POST", post("/last"))).toMatchObject({ status: 200, body: "POST /last 3" });
  expect(c.closed).toBe(false);
}, 25_000);
