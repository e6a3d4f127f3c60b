/**
 * Every way a response body leaves the proxy: none (HEAD, 204, 304), read at once (small, and over 16 KiB
 * as one direct-stream write), relayed as a stream (large or of unknown length). Each case checks the
 * bytes the client gets, the framing headers and the size the request log reports.
 */
import { expect, test } from "bun:test";
import { cleanupScope, rawRequest, startProxy, upstream } from "./helpers.ts";

cleanupScope();

const bytes = (n: number) => "abcdefghij".repeat(Math.ceil(n / 10)).slice(0, n);

function app() {
  return upstream("bodies", (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/204") return new Response(null, { status: 204, headers: { "x-app": "1" } });
    if (path === "/304") return new Response(null, { status: 304, headers: { etag: '"v1"' } });
    if (path === "/empty") return new Response("", { headers: { "content-length": "0" } });
    if (path === "/chunked") {
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(bytes(3000)));
          c.enqueue(new TextEncoder().encode(bytes(5000)));
          c.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/plain" } });
    }
    const size = Number(path.slice(1));
    return new Response(bytes(size), { headers: { "content-type": "text/plain", connection: "x-hop", "x-hop": "secret", "x-app": "1" } });
  });
}

test("bodies of every size arrive whole, with their length, and are logged with their size", async () => {
  const p = await startProxy();
  await p.deploy("web", app().addr);
  // 100 B and 20 KiB are read at once (the second leaves as a direct stream), 64 KiB is the largest read
  // at once, 200 KiB is relayed through the byte-counting stream.
  for (const size of [100, 20 * 1024, 64 * 1024, 200 * 1024]) {
    const res = await p.request(`/${size}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-app")).toBe("1");
    expect(res.headers.get("x-hop")).toBeNull();
    const body = await res.text();
    expect(body.length).toBe(size);
    expect(body).toBe(bytes(size));
    const log = p.requestLogs().at(-1)!;
    expect(log.path).toBe(`/${size}`);
    expect(log.resp_content_length).toBe(size);
  }
  const chunked = await p.request("/chunked");
  expect(await chunked.text()).toBe(bytes(3000) + bytes(5000));
  expect(p.requestLogs().at(-1)!.resp_content_length).toBe(8000);
});

test("HEAD, 204, 304 and an empty 200 have no body and keep their headers", async () => {
  const p = await startProxy();
  await p.deploy("web", app().addr);
  const head = await rawRequest(p.port, "HEAD /5000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(head.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  expect(head.toLowerCase()).toContain("content-length: 5000");
  expect(head.endsWith("\r\n\r\n")).toBe(true);
  expect(p.requestLogs().at(-1)!.resp_content_length).toBe(0);

  const noContent = await p.request("/204");
  expect(noContent.status).toBe(204);
  expect(noContent.headers.get("x-app")).toBe("1");
  expect(await noContent.text()).toBe("");

  const notModified = await p.request("/304");
  expect(notModified.status).toBe(304);
  expect(notModified.headers.get("etag")).toBe('"v1"');
  expect(await notModified.text()).toBe("");

  const empty = await rawRequest(p.port, "GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(empty.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  expect(empty.toLowerCase()).toContain("content-length: 0");
  expect(empty.endsWith("\r\n\r\n")).toBe(true);
  const logs = p.requestLogs();
  expect(logs.slice(-3).map((l) => [l.status, l.resp_content_length])).toEqual([
    [204, 0],
    [304, 0],
    [200, 0],
  ]);
});
