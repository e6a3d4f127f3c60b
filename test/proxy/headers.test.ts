/** Header hygiene between client and upstream, and content encodings passing through untouched. */
import { expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { cleanupScope, rawRequest, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("hop-by-hop request headers are not forwarded; TE: trailers is", async () => {
  const p = await startProxy();
  const up = upstream("h");
  await p.deploy("web", up.addr);
  const raw = await rawRequest(
    p.port,
    "GET /x HTTP/1.1\r\nHost: example.com\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic x\r\nTE: trailers\r\nX-Kept: yes\r\n\r\n",
  );
  expect(raw.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  const h = up.requests.at(-1)!.headers;
  expect(h.get("x-secret")).toBeNull();
  expect(h.get("keep-alive")).toBeNull();
  expect(h.get("proxy-authorization")).toBeNull();
  expect(h.get("te")).toBe("trailers");
  expect(h.get("x-kept")).toBe("yes");
});

test("hop-by-hop response headers are dropped; others pass", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("h", () => new Response("ok", { headers: { "x-app": "1", "keep-alive": "timeout=99", connection: "x-internal", "x-internal": "secret" } })).addr);
  const res = await p.request("/");
  expect(res.headers.get("x-app")).toBe("1");
  expect(res.headers.get("keep-alive")).toBeNull();
  expect(res.headers.get("x-internal")).toBeNull();
});

test("HEAD keeps the upstream Content-Length; compressed bodies pass through untouched when asked for", async () => {
  const p = await startProxy();
  const zipped = new Uint8Array(gzipSync("hello compressed world"));
  await p.deploy(
    "web",
    upstream("z", (req) => {
      if (new URL(req.url).pathname === "/gz") return new Response(zipped, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } });
      return new Response("x".repeat(1234));
    }).addr,
  );
  const head = await rawRequest(p.port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(head.toLowerCase()).toContain("content-length: 1234");
  const gz = await rawRequest(p.port, "GET /gz HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
  expect(gz.toLowerCase()).toContain("content-encoding: gzip");
  expect(gz.toLowerCase()).toContain(`content-length: ${zipped.byteLength}`);
  // A client that asked for no encoding gets the plain body, as Go's transport decompresses for it.
  const plain = await rawRequest(p.port, "GET /gz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(plain.toLowerCase()).not.toContain("content-encoding");
  expect(plain).toContain("hello compressed world");
});

test("server-sent events without Content-Length stream through unbuffered", async () => {
  const p = await startProxy();
  await p.deploy(
    "web",
    upstream("s", (req) =>
      new URL(req.url).pathname === "/up"
        ? new Response("ok")
        : new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(new TextEncoder().encode("data: 1\n\n"));
              },
            }),
            { headers: { "content-type": "text/event-stream" } },
          ),
    ).addr,
  );
  const res = await p.request("/");
  const { value } = await res.body!.getReader().read();
  expect(new TextDecoder().decode(value)).toBe("data: 1\n\n");
});

test("a pooled connection the upstream closed gives no 502 (the request goes out on a new one)", async () => {
  let closedOnReuse = 0;
  const listener = Bun.listen<{ served: number; buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { served: 0, buf: "" };
      },
      data(s, chunk) {
        s.data.buf += chunk.toString();
        if (!s.data.buf.includes("\r\n\r\n")) return;
        s.data.buf = "";
        // Every connection answers once, then drops the next request: the keep-alive race at its worst.
        if (s.data.served++ > 0) {
          closedOnReuse++;
          return void s.end();
        }
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfresh");
      },
    },
  });
  const p = await startProxy();
  try {
    expect((await p.deploy("web", `127.0.0.1:${listener.port}`)).code).toBe(0);
    for (let i = 0; i < 5; i++) expect(await p.text("/")).toMatchObject({ status: 200, body: "fresh" });
    expect(closedOnReuse).toBeGreaterThan(0);
  } finally {
    listener.stop(true);
  }
});
