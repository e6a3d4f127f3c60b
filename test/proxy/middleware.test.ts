/** Server, error pages, request logs, request id/start, buffering and streaming. */
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BufferTooLargeError, bufferBody } from "../../proxy/buffer.ts";
import { loadErrorPages, renderErrorPage } from "../../proxy/error-pages.ts";
import { defaultServiceOptions, defaultTargetOptions } from "../../proxy/options.ts";
import { gate, within } from "../support/wait.ts";
import { cleanupScope, echoUpstream, onCleanup, rawRequest, sleep, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("a deploy through the command handler makes GET / return 200", async () => {
  const p = await startProxy();
  const target_options = { ...defaultTargetOptions(), health_check_config: { ...defaultTargetOptions().health_check_config, interval: 20 } };
  await p.server.commands.dispatch({
    method: "deploy",
    args: { service: "web", targets: [upstream("direct").addr], readers: [], deployment: { deploy_timeout: 2000, drain_timeout: 1000, force: false }, service_options: defaultServiceOptions(), target_options },
  });
  expect(await p.text("/")).toMatchObject({ status: 200, body: "direct" });
});

test("without --http3 there is no Alt-Svc header and the HTTPS UDP port stays free", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr);
  expect((await p.request("/")).headers.has("alt-svc")).toBe(false);
  const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: p.port });
  udp.close();
});

test("proxy 404 and 503 pages are HTML with their headings and the message", async () => {
  const p = await startProxy();
  const r = await p.text("/missing");
  expect(r.status).toBe(404);
  expect(r.res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(r.body).toContain("Not Found");
  await p.deploy("web", upstream().addr);
  await p.cli("stop", "web", "--message=Upgrading <db> now");
  const s = await p.text("/");
  expect(s.status).toBe(503);
  expect(s.body).toContain("Service Temporarily Unavailable");
  expect(s.body).toContain("Upgrading &lt;db&gt; now");
});

test("a status without template gets the generic heading; upstream 418s pass through", async () => {
  const page = renderErrorPage(418);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(await page.text()).toBe("<h1>418 I'm a teapot</h1>");
  const p = await startProxy();
  await p.deploy("web", upstream("tea", (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : new Response("short and stout", { status: 418, headers: { "content-type": "text/plain" } }))).addr);
  const r = await p.text("/");
  expect(r).toMatchObject({ status: 418, body: "short and stout" });
  expect(r.res.headers.get("content-type")).toBe("text/plain");
});

test("custom error pages first, then built-ins, then the generic heading; bad directories fail", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pages-"));
  writeFileSync(join(dir, "404.html"), "<p>custom missing {{ .Message }}</p>");
  writeFileSync(join(dir, "504.html"), "{{ if .Message }}M{{ else }}<p>custom timeout</p>{{ end }}");
  const pages = loadErrorPages(dir);
  expect(await renderErrorPage(404, "", pages).text()).toBe("<p>custom missing </p>");
  const s503 = await renderErrorPage(503, "Back soon", pages).text();
  expect(s503).toContain("Service Temporarily Unavailable");
  expect(s503).toContain("Back soon");
  expect(await renderErrorPage(418, "", pages).text()).toMatch(/^<h1>418 /);
  const broken = mkdtempSync(join(tmpdir(), "pages-"));
  writeFileSync(join(broken, "404.html"), "{{ if .Message }}never closed");
  expect(() => loadErrorPages(broken)).toThrow("unable to load error pages");
  expect(() => loadErrorPages(mkdtempSync(join(tmpdir(), "pages-")))).toThrow("unable to load error pages");
  // Through a service: a paused service's expired wait renders the custom 504.
  const p = await startProxy();
  await p.deploy("web", upstream().addr, `--error-pages=${dir}`);
  await p.cli("pause", "web", "--max-pause=5ms");
  expect(await p.text("/")).toMatchObject({ status: 504, body: "<p>custom timeout</p>" });
});

test("the request log line has kamal-proxy's fields and values", async () => {
  const p = await startProxy();
  await p.deploy(
    "web",
    upstream("g", (req) => (new URL(req.url).pathname === "/up" ? new Response("ok") : new Response("goodbye\n", { headers: { "content-type": "text/plain", "cache-control": "no-store" } }))).addr,
    "--log-request-header=X-Custom",
    "--log-response-header=Cache-Control",
  );
  await p.text("/path?q=1", { method: "POST", body: "hello", host: "example.com", headers: { "content-type": "text/plain", "x-forwarded-for": "192.0.2.1", "x-custom": "value", "user-agent": "tester" } });
  const log = p.requestLogs().at(-1)!;
  expect(Object.keys(log)).toEqual([
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
    "req_x_custom",
    "resp_cache_control",
  ]);
  expect(log).toMatchObject({
    level: "INFO",
    msg: "Request",
    host: "example.com",
    path: "/path",
    status: 200,
    service: "web",
    method: "POST",
    req_content_length: 5,
    req_content_type: "text/plain",
    resp_content_length: 8,
    resp_content_type: "text/plain",
    client_addr: "127.0.0.1",
    remote_addr: "192.0.2.1",
    user_agent: "tester",
    proto: "HTTP/1.1",
    scheme: "http",
    query: "q=1",
    req_x_custom: "value",
    resp_cache_control: "no-store",
  });
  expect(typeof log.duration).toBe("number");
  expect(Number(log.client_port)).toBeGreaterThan(0);
  expect(log.request_id).toMatch(/^[0-9a-f-]{36}$/);
  await p.deploy("web", upstream().addr, "--client-ip-header=True-Client-IP");
  await p.text("/", { headers: { "true-client-ip": "203.0.113.7", "x-forwarded-for": "192.0.2.1" } });
  expect(p.requestLogs().at(-1)!.remote_addr).toBe("203.0.113.7");
});

test("X-Request-ID and X-Request-Start are generated when missing and preserved when present", async () => {
  const p = await startProxy();
  await p.deploy("web", echoUpstream().addr);
  const before = Date.now();
  const res = await p.request("/");
  const h = (await res.json()).headers;
  const after = Date.now();
  expect(h["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(h["x-request-start"]).toMatch(/^t=\d+$/);
  // Milliseconds since the epoch, taken while the request was under way.
  const start = Number(h["x-request-start"].slice(2));
  expect(start).toBeGreaterThanOrEqual(before);
  expect(start).toBeLessThanOrEqual(after);
  expect(res.headers.has("x-request-id")).toBe(false);
  const kept = (await (await p.request("/", { headers: { "x-request-id": "abc-123", "x-request-start": "t=42" } })).json()).headers;
  expect([kept["x-request-id"], kept["x-request-start"]]).toEqual(["abc-123", "t=42"]);
});

test("request buffer (memory 4, max 8) and response buffer limits", async () => {
  const p = await startProxy();
  await p.deploy(
    "web",
    upstream("x", async (req) => {
      const u = new URL(req.url);
      if (u.pathname === "/up") return new Response("ok");
      await req.text();
      return new Response(u.pathname === "/large" ? "0123456789abcdef" : "small");
    }).addr,
    "--buffer-requests",
    "--buffer-responses",
    "--buffer-memory=4",
    "--max-request-body=8",
    "--max-response-body=8",
  );
  expect(await p.text("/", { method: "POST", body: "12345" })).toMatchObject({ status: 200, body: "small" });
  expect((await p.text("/", { method: "POST", body: "x".repeat(1000) })).status).toBe(413);
  expect((await rawRequest(p.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")).split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
  expect((await p.text("/large")).status).toBe(500);
});

/** Sends "first;", then "second" once `between` settles. */
function flushingUpstream(between: () => Promise<unknown>, contentType: string, extra: Record<string, string> = {}, status = 200) {
  return upstream("flush", (req) => {
    if (new URL(req.url).pathname === "/up") return new Response("ok");
    return new Response(
      new ReadableStream({
        async start(c) {
          c.enqueue(new TextEncoder().encode("first;"));
          await between();
          c.enqueue(new TextEncoder().encode("second"));
          c.close();
        },
      }),
      { status, headers: { "content-type": contentType, ...extra } },
    );
  });
}

/** The first chunk of the body; then `rest()` (if given) is awaited and the body read to its end. */
async function firstChunk(pending: Promise<Response>, rest?: () => void): Promise<string> {
  const reader = (await pending).body!.getReader();
  const { value } = await within(reader.read(), "the first chunk");
  rest?.();
  while (!(await within(reader.read(), "the rest of the body")).done);
  return new TextDecoder().decode(value);
}

test("buffered responses arrive whole; SSE streams; Content-Length responses stay buffered; buffer edges", async () => {
  const p = await startProxy();
  const flags = ["--buffer-responses"];
  // The pause between the chunks is what a streaming proxy would show as two reads; a busy machine can
  // only merge them, so this check cannot fail by chance.
  await p.deploy("web", flushingUpstream(() => sleep(250), "text/html", { location: "/elsewhere" }, 302).addr, ...flags);
  expect(await firstChunk(p.request("/"))).toBe("first;second");
  for (const type of ["text/event-stream", "text/event-stream; charset=utf-8"]) {
    // "second" is held until the first chunk arrived, so only a streamed first chunk can arrive.
    const held = gate();
    onCleanup(held.release);
    await p.deploy("web", flushingUpstream(() => held.wait, type).addr, ...flags);
    expect(await firstChunk(p.request("/"), held.release)).toBe("first;");
  }
  await p.deploy("web", upstream("cl", () => new Response("fixed length body", { headers: { "content-length": "17" } })).addr, ...flags);
  expect((await p.request("/")).headers.get("content-length")).toBe("17");
  expect((await bufferBody(null, 4, 8)).size).toBe(0);
  expect((await bufferBody(new Response("").body, 4, 8)).size).toBe(0);
  await expect(bufferBody(new Response("x".repeat(13)).body, 4, 8)).rejects.toThrow(BufferTooLargeError);
  await expect(bufferBody(new Response("x".repeat(13)).body, 4, 8)).rejects.toThrow("maximum size exceeded");
});
