/**
 * Response framings relayed through the proxy over one kept-alive client connection: every body arrives
 * whole and byte for byte, and the framing the client gets lets it find the next response.
 */
import { expect, test } from "bun:test";
import { cleanupScope, startProxy, upstream } from "../helpers.ts";
import { binaryBody, connect, get, header, lengthResponse, rawUpstream } from "./support.ts";

cleanupScope();

const T = 15_000;

test(
  "Content-Length bodies (small, empty, 300 KiB binary) in sequence on one connection",
  async () => {
    const p = await startProxy();
    const big = binaryBody(300 * 1024, 3);
    const small = binaryBody(1000, 1);
    const up = upstream("app", (req) => {
      const path = new URL(req.url).pathname;
      const body = path === "/big" ? big : path === "/empty" ? "" : small;
      return new Response(Buffer.from(body, "latin1"), { headers: { "content-type": "application/octet-stream" } });
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const paths = ["/small", "/big", "/empty", "/small", "/big"];
    for (const path of paths) {
      const r = await c.request("GET", get(path));
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(path === "/big" ? big.length : path === "/empty" ? 0 : small.length);
      expect(r.body === (path === "/big" ? big : path === "/empty" ? "" : small)).toBe(true);
    }
    expect(c.closed).toBe(false);
    expect(up.requests.filter((r) => new URL(r.url).pathname !== "/up").map((r) => new URL(r.url).pathname)).toEqual(paths);
  },
  T,
);

test(
  "a chunked body (several chunks, a chunk extension, trailers) arrives whole, three times on one connection",
  async () => {
    const p = await startProxy();
    const parts = ["hello ", binaryBody(70_000, 5), "", "world"].filter((s) => s.length > 0);
    const chunked = `${parts.map((s, i) => `${s.length.toString(16)}${i === 1 ? ";name=value" : ""}\r\n${s}\r\n`).join("")}0\r\nX-Checksum: abc\r\n\r\n`;
    const up = await rawUpstream(() => `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n${chunked}`);
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    for (const path of ["/one", "/two", "/three"]) {
      const r = await c.request("GET", get(path));
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(parts.join("").length);
      expect(r.body === parts.join("")).toBe(true);
    }
    expect(c.closed).toBe(false);
    expect(up.received.map((r) => r.path)).toEqual(["/one", "/two", "/three"]);
  },
  T,
);

test(
  "a close-delimited body (HTTP/1.1, no length, no chunking, then close) arrives whole",
  async () => {
    const p = await startProxy();
    const body = binaryBody(100_000, 9);
    const up = await rawUpstream((_req, conn) => {
      conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n${body}`);
      conn.end();
      return undefined;
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    // Either the proxy frames the body for the client (then the connection lives on), or it closes after it.
    let sent = 0;
    for (let i = 0; i < 3; i++) {
      const r = await c.request("GET", get(`/close/${i}`));
      sent++;
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(body.length);
      expect(r.body === body).toBe(true);
      if (r.framing === "close") break;
      expect(c.closed).toBe(false);
    }
    expect(c.parsed().rest).toBe("");
    expect(up.received.map((r) => r.path)).toEqual(Array.from({ length: sent }, (_, i) => `/close/${i}`));
  },
  T,
);

test(
  "HEAD with a Content-Length gets the header and no body; the next request on the connection works",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => (req.method === "HEAD" ? "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n" : lengthResponse(`after ${req.path}`)));
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const head = await c.request("HEAD", "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(head.status).toBe(200);
    expect(header(head, "content-length")).toBe("1234");
    const next = await c.request("GET", get("/next"));
    expect(next).toMatchObject({ status: 200, body: "after /next" });
    const head2 = await c.request("HEAD", "HEAD /h2 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(head2.status).toBe(200);
    const last = await c.request("GET", get("/last"));
    expect(last).toMatchObject({ status: 200, body: "after /last" });
    expect(c.parsed().rest).toBe("");
    expect(up.received.map((r) => `${r.method} ${r.path}`)).toEqual(["HEAD /h", "GET /next", "HEAD /h2", "GET /last"]);
  },
  T,
);

test(
  "204 and 304 have no body; the next request on the connection works",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => {
      if (req.path === "/204") return "HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n";
      if (req.path === "/304") return 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nCache-Control: max-age=60\r\n\r\n';
      return lengthResponse(`body of ${req.path}`);
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const r204 = await c.request("GET", get("/204"));
    expect(r204.status).toBe(204);
    expect(header(r204, "x-kind")).toBe("none");
    expect(await c.request("GET", get("/a"))).toMatchObject({ status: 200, body: "body of /a" });
    const r304 = await c.request("GET", get("/304", "x", 'If-None-Match: "v1"\r\n'));
    expect(r304.status).toBe(304);
    expect(header(r304, "etag")).toBe('"v1"');
    expect(await c.request("GET", get("/b"))).toMatchObject({ status: 200, body: "body of /b" });
    // Nothing stray (no body bytes of a 204/304) sits between the answers.
    expect(c.parsed().rest).toBe("");
    expect(up.received.map((r) => r.path)).toEqual(["/204", "/a", "/304", "/b"]);
    expect(up.received[2]!.headers).toContainEqual(["if-none-match", '"v1"']);
  },
  T,
);

for (const [name, interim] of [
  ["103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"],
  ["100 Continue", "HTTP/1.1 100 Continue\r\n\r\n"],
] as const) {
  test(
    `a ${name} interim head before the 200: the client gets a well-formed final 200 with its body`,
    async () => {
      const p = await startProxy();
      const up = await rawUpstream((req) => `${interim}${lengthResponse(`final for ${req.path}`, "200 OK", "Content-Type: text/plain\r\n")}`);
      expect((await p.deploy("web", up.addr)).code).toBe(0);
      const c = await connect(p.port);
      for (const path of ["/one", "/two"]) {
        const r = await c.request("GET", get(path));
        expect(r.status).toBe(200);
        expect(r.body).toBe(`final for ${path}`);
        // Interim heads may be relayed or swallowed, but only as whole 1xx heads before the final one.
        for (const s of r.interim) expect(s).toBeOneOf([100, 103]);
      }
      expect(c.parsed().rest).toBe("");
      expect(up.received.map((r) => r.path)).toEqual(["/one", "/two"]);
    },
    T,
  );
}
