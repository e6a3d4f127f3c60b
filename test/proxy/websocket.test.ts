/** WebSocket pass-through details: headers the upstream sees, subprotocols, binary frames, close codes. */
import { expect, test } from "bun:test";
import { waitFor } from "../support/wait.ts";
import { cleanupScope, startProxy, upstream } from "./helpers.ts";

cleanupScope();

function wsEcho() {
  const seen: Record<string, string | null>[] = [];
  const up = upstream(
    "ws",
    (req, srv) => {
      if (new URL(req.url).pathname === "/up") return new Response("ok");
      seen.push({ host: req.headers.get("host"), xff: req.headers.get("x-forwarded-for"), path: new URL(req.url).pathname, proto: req.headers.get("sec-websocket-protocol") });
      const wanted = req.headers.get("sec-websocket-protocol")?.split(",")[0]?.trim();
      return srv.upgrade(req, { headers: wanted ? { "sec-websocket-protocol": wanted } : undefined }) ? undefined : new Response("no", { status: 400 });
    },
    {
      maxPayloadLength: 64 * 1024 * 1024,
      message(ws: any, m: any) {
        if (m === "close-me") ws.close(4321, "bye");
        else ws.send(m);
      },
    },
  );
  return { up, seen };
}

test("the upstream sees Host, forwarding headers and the stripped path; subprotocol, binary and close codes pass", async () => {
  const p = await startProxy();
  const { up, seen } = wsEcho();
  await p.deploy("chat", up.addr, "--host=chat.example.com", "--path-prefix=/cable");
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}/cable/socket`, { headers: { host: "chat.example.com" }, protocols: ["actioncable-v1-json", "other"] } as any);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  expect(ws.protocol).toBe("actioncable-v1-json");
  expect(seen[0]).toMatchObject({ host: "chat.example.com", xff: "127.0.0.1", path: "/socket" });
  const binary = new Promise<ArrayBuffer>((r) => (ws.onmessage = (e) => r(e.data)));
  ws.send(new Uint8Array([1, 2, 3]));
  expect([...new Uint8Array(await binary)]).toEqual([1, 2, 3]);
  const closed = new Promise<CloseEvent>((r) => (ws.onclose = r));
  ws.send("close-me");
  const ev = await closed;
  expect([ev.code, ev.reason]).toEqual([4321, "bye"]);
  await waitFor(() => p.requestLogs().some((l) => l.status === 101), "the upgrade's request log line");
  expect(p.requestLogs().find((l) => l.status === 101)).toMatchObject({ service: "chat", path: "/cable/socket" });
});

test("an upstream that refuses the upgrade gives 502", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("plain").addr);
  const res = await p.request("/ws", { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
  expect(res.status).toBe(502);
});

test("messages larger than Bun's 16 MB default pass through", async () => {
  const p = await startProxy();
  const { up } = wsEcho();
  await p.deploy("web", up.addr);
  const ws = new WebSocket(`ws://127.0.0.1:${p.port}/big`);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const echoed = new Promise<ArrayBuffer>((r) => (ws.onmessage = (e) => r(e.data)));
  const big = new Uint8Array(17 * 1024 * 1024).fill(7);
  ws.send(big);
  expect((await echoed).byteLength).toBe(big.byteLength);
  ws.close();
});
