/**
 * Pipelined requests (two requests in one TCP write). Bun.serve, with an async handler, drops the
 * connection when a second request arrives while the first is still being handled, without answering
 * either (Bun 1.4.5; a plain Bun.serve shows it too, see the first test). The proxy cannot answer them,
 * so it makes sure the first one is never executed upstream: it sends nothing upstream until Bun has had
 * its turn to drop the connection.
 */
import { expect, test } from "bun:test";
import { waitFor } from "../../support/wait.ts";
import { cleanupScope, sleep, startProxy } from "../helpers.ts";
import { rawConnect, statuses } from "./raw-client.ts";
import { recordingUpstream } from "./recording-upstream.ts";

cleanupScope();

const TWO = "POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /second HTTP/1.1\r\nHost: x\r\n\r\n";

test("Bun limitation: an async handler gets its connection dropped when a pipelined request follows", async () => {
  let calls = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch() {
      calls++;
      await sleep(10);
      return new Response("answered");
    },
  });
  try {
    const c = await rawConnect(server.port!);
    c.write(TWO);
    expect(await c.waitClosed(3000)).toBe(true);
    expect(c.received).toBe("");
    expect(calls).toBe(1);
  } finally {
    server.stop(true);
  }
});

test("two requests in one write: no answer, the connection closes, and the app executes neither (50 tries)", async () => {
  const p = await startProxy();
  const up = recordingUpstream();
  await p.deploy("web", up.addr);
  for (let i = 0; i < 50; i++) {
    const c = await rawConnect(p.port);
    c.write(TWO);
    expect(await c.waitClosed(3000)).toBe(true);
    expect(statuses(c.received)).toEqual([]);
  }
  // A window for a request the proxy wrongly passed on to reach the app; nothing is expected to arrive.
  await sleep(200);
  expect(up.received).toEqual([]);
  // The same requests one after the other on one connection are answered in order.
  const c = await rawConnect(p.port);
  c.write("POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  expect(await c.waitFor("\r\n\r\nok", 3000)).toBe(true);
  c.write("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => statuses(c.received).length >= 2, "two answers");
  expect(statuses(c.received)).toEqual([200, 200]);
  expect(up.received.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual(["POST /first abc", "GET /second "]);
  c.destroy();
}, 30_000);
