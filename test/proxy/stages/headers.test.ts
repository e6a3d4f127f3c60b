/** The stages that only add request headers or switch the connection timer: request start, request id, timer. */
import { expect, test } from "bun:test";
import { ConnTimer } from "../../../proxy/conn-timeouts.ts";
import { compose } from "../../../proxy/stages/compose.ts";
import { withConnTimer } from "../../../proxy/stages/conn-timer.ts";
import { withRequestId } from "../../../proxy/stages/request-id.ts";
import { withRequestStart } from "../../../proxy/stages/request-start.ts";
import { contextFor, PLAIN_CONN } from "./support.ts";

const echoHeaders = compose([withRequestStart({ now: () => 1_700_000_000_123 }), withRequestId(() => "id-from-the-proxy")], (ctx) => new Response(JSON.stringify(Object.fromEntries(ctx.headers))));

test("request start and request id are added for the app when the client sent none", async () => {
  const res = await echoHeaders(contextFor("http://x.test/"));
  expect(await res!.json()).toMatchObject({ "x-request-start": "t=1700000000123", "x-request-id": "id-from-the-proxy" });
});

test("a request start or request id set by a proxy in front is kept as it is", async () => {
  const res = await echoHeaders(contextFor("http://x.test/", { "x-request-start": "t=5", "x-request-id": "from-the-edge" }));
  expect(await res!.json()).toMatchObject({ "x-request-start": "t=5", "x-request-id": "from-the-edge" });
});

test("the headers go to the upstream-bound copy; the client's request is not changed", async () => {
  const ctx = contextFor("http://x.test/");
  await echoHeaders(ctx);
  expect(ctx.req.headers.has("x-request-id")).toBe(false);
  expect(ctx.headers.has("x-request-id")).toBe(true);
});

test("the default request id is a fresh UUID per request", async () => {
  const chain = compose([withRequestId()], (ctx) => new Response(ctx.headers.get("x-request-id")));
  const a = await (await chain(contextFor("http://x.test/")))!.text();
  const b = await (await chain(contextFor("http://x.test/")))!.text();
  expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(b).not.toBe(a);
});

test("the connection timer is switched off (0) for the request being handled, before the app is asked", async () => {
  const calls: [Request, number][] = [];
  // The one method of Bun's Server the timer uses, recorded.
  const server = { timeout: (req: Request, seconds: number) => calls.push([req, seconds]) } as any;
  const chain = compose([withConnTimer(new ConnTimer({ readHeader: 30_000, idle: 60_000, requestBody: 0 }))], () => {
    expect(calls.length).toBe(1);
    return new Response("ok");
  });
  const ctx = contextFor("http://x.test/", {}, { ...PLAIN_CONN, server });
  await chain(ctx);
  expect(calls).toEqual([[ctx.req, 0]]);
});

test("with both client timeouts off the connection timer is left alone", async () => {
  const calls: number[] = [];
  const server = { timeout: (_: Request, seconds: number) => calls.push(seconds) } as any;
  const chain = compose([withConnTimer(new ConnTimer({ readHeader: 0, idle: 0, requestBody: 0 }))], () => new Response("ok"));
  await chain(contextFor("http://x.test/", {}, { ...PLAIN_CONN, server }));
  expect(calls).toEqual([]);
});
