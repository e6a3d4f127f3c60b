/** Graceful shutdown on SIGTERM: in-flight requests finish, upgraded connections are not waited for. */
import { expect, test } from "bun:test";
import { gate, settlesAtOnce, waitFor, within } from "../support/wait.ts";
import { rawConnect, statuses } from "./hardening/raw-client.ts";
import { cleanupScope, onCleanup, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("shutdown waits for an in-flight request and does not wait for open WebSockets", async () => {
  const p = await startProxy();
  const answer = gate();
  onCleanup(answer.release);
  const up = upstream(
    "app",
    async (req, srv) => {
      const path = new URL(req.url).pathname;
      if (path === "/up") return new Response("ok");
      if (path === "/ws") return srv.upgrade(req) ? undefined : new Response("no", { status: 400 });
      await answer.wait;
      return new Response("finished during shutdown");
    },
    {
      message(ws: any, m: any) {
        ws.send(m);
      },
    },
  );
  await p.deploy("web", up.addr);
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`);
  await new Promise((r) => (ws.onopen = r));
  const closed = new Promise((r) => (ws.onclose = r));
  const slow = p.text("/slow");
  await waitFor(() => up.requests.some((r) => r.url.endsWith("/slow")), "the request at the app");
  // The stop must wait for the held request (it cannot settle at once) but not for the open WebSocket:
  // once the app answers, the stop completes while the WebSocket was never closed by its client.
  const stopping = p.stop();
  expect(await settlesAtOnce(stopping)).toBe(false);
  answer.release();
  await within(stopping, "the stop after the last request finished");
  expect(await slow).toMatchObject({ status: 200, body: "finished during shutdown" });
  await closed;
  expect(p.logs.at(-1)).toContain('"msg":"Server stopped"');
  await expect(fetch(`http://127.0.0.1:${p.port}/`)).rejects.toThrow();
});

test("shutdown closes a busy keep-alive connection after its current answer instead of serving its next request", async () => {
  const p = await startProxy();
  const up = upstream("app", async () => {
    await Bun.sleep(100);
    return new Response("ok");
  });
  await p.deploy("web", up.addr);
  const c = await rawConnect(p.port);
  onCleanup(() => c.destroy());
  // A client that sends its next request the moment an answer arrives, until an answer says
  // `Connection: close` (as HTTP clients do).
  let sent = 0;
  const keepAsking = (async () => {
    while (!c.closed && sent < 500 && !/connection: close/i.test(c.received)) {
      c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      sent++;
      await c.until(() => statuses(c.received).length >= sent || c.closed, 5000);
    }
  })();
  await waitFor(() => statuses(c.received).length >= 2, "two answers");
  await p.stop();
  await keepAsking;
  expect(await c.waitClosed(3000)).toBe(true);
  // The stop never had to wait out its deadline and cut connections.
  expect(p.logs.some((l) => l.includes("Closing active connections"))).toBe(false);
  // Every request the client sent was answered; the last answer told it the connection was closing.
  expect(statuses(c.received)).toEqual(Array(sent).fill(200));
  expect(c.received.toLowerCase().endsWith("ok") && c.received.toLowerCase().includes("connection: close")).toBe(true);
}, 20_000);
