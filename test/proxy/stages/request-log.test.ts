/** The request log stage: one Request line per answer, written when the body is over, errors as 500s. */
import { expect, test } from "bun:test";
import { ConnTimer } from "../../../proxy/conn-timeouts.ts";
import { PrometheusMetrics } from "../../../proxy/metrics.ts";
import { compose, type Handler } from "../../../proxy/stages/compose.ts";
import { withRequestLog } from "../../../proxy/stages/request-log.ts";
import { contextFor, PLAIN_CONN, recordingLogger } from "./support.ts";

function logged(last: Handler, timer = new ConnTimer({ readHeader: 0, idle: 0, requestBody: 0 })) {
  const log = recordingLogger();
  const metrics = new PrometheusMetrics();
  const handler = compose([withRequestLog({ logger: log.logger, metrics, connTimer: timer })], last);
  return { handler, metrics, requests: () => log.lines().filter((l) => l.msg === "Request"), lines: log.lines };
}

test("an answer already in memory is logged at once with its status and the service's name", async () => {
  const c = logged((ctx) => {
    ctx.service = "web";
    ctx.knownLength = 5;
    return new Response("hello", { status: 201 });
  });
  const res = (await c.handler(contextFor("http://a.test/x?y=1", { host: "a.test", "x-request-id": "r1" })))!;
  expect(c.requests()).toEqual([expect.objectContaining({ status: 201, service: "web", path: "/x", host: "a.test", request_id: "r1", resp_content_length: 5 })]);
  expect(await res.text()).toBe("hello");
  expect(c.metrics.render()).toContain('kamal_proxy_http_requests_total{service="web",method="GET",status="201"} 1');
});

test("a streamed body is logged only when it has been read to the end, with the bytes that went out", async () => {
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  const c = logged(async () => new Response(body));
  const res = (await c.handler(contextFor("http://a.test/")))!;
  const reading = res.arrayBuffer();
  push.enqueue(new Uint8Array(3));
  push.enqueue(new Uint8Array(4));
  await Bun.sleep(0);
  expect(c.requests()).toEqual([]);
  push.close();
  expect((await reading).byteLength).toBe(7);
  expect(c.requests()).toEqual([expect.objectContaining({ status: 200, resp_content_length: 7 })]);
});

test("the finish hooks run after the log line, and once", async () => {
  const order: string[] = [];
  const log = recordingLogger();
  const handler = compose([withRequestLog({ logger: { request: () => order.push("log") } as any, metrics: new PrometheusMetrics(), connTimer: new ConnTimer({ readHeader: 0, idle: 0, requestBody: 0 }) })], (ctx) => {
    ctx.onFinish(() => order.push("release"));
    return new Response(null, { status: 204 });
  });
  const ctx = contextFor("http://a.test/");
  await handler(ctx);
  ctx.finish();
  expect(order).toEqual(["log", "release"]);
  expect(log.lines()).toEqual([]);
});

test("an error in a later stage is logged and answered with the 500 page, and the 500 gets its Request line", async () => {
  const c = logged(async () => {
    throw new Error("target exploded");
  });
  const res = (await c.handler(contextFor("http://a.test/boom")))!;
  expect(res.status).toBe(500);
  await res.text(); // the page is a body like any other: its line is written when it has been sent
  expect(c.lines()).toEqual([expect.objectContaining({ level: "ERROR", msg: "Error while proxying", path: "/boom", error: "target exploded" }), expect.objectContaining({ msg: "Request", status: 500 })]);
});

test("a synchronous throw is caught the same way", async () => {
  const c = logged(() => {
    throw new Error("sync");
  });
  const res = (await c.handler(contextFor("http://a.test/")))!;
  expect(res.status).toBe(500);
  await res.text();
  expect(c.requests()).toEqual([expect.objectContaining({ status: 500 })]);
});

test("an upgraded connection (no response) is logged as 101 when the relay finishes", async () => {
  const c = logged(() => undefined);
  const ctx = contextFor("http://a.test/ws");
  expect(await c.handler(ctx)).toBeUndefined();
  expect(c.requests()).toEqual([]);
  ctx.finish();
  expect(c.requests()).toEqual([expect.objectContaining({ status: 101, resp_content_length: 0 })]);
});

test("the connection goes back to the keep-alive idle timeout once the response is handed over", async () => {
  const calls: number[] = [];
  const server = { timeout: (_: Request, seconds: number) => calls.push(seconds) } as any;
  const c = logged(() => new Response(null, { status: 204 }), new ConnTimer({ readHeader: 30_000, idle: 60_000, requestBody: 0 }));
  await c.handler(contextFor("http://a.test/", {}, { ...PLAIN_CONN, server }));
  expect(calls).toEqual([60]);
});

test("a client that goes away mid-body is logged as 499", async () => {
  const aborter = new AbortController();
  const body = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  const c = logged(async () => new Response(body));
  const ctx = contextFor("http://a.test/");
  Object.defineProperty(ctx, "req", { value: new Request("http://a.test/", { signal: aborter.signal }) });
  const res = (await c.handler(ctx))!;
  aborter.abort();
  await res.body!.cancel();
  expect(c.requests()).toEqual([expect.objectContaining({ status: 499 })]);
});
