/**
 * WebSocket back-pressure through a proxy process: a client that does not read (or an app that does not
 * read) must hold back the other side instead of growing the proxy's memory. RSS is read from /proc.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ServerWebSocket } from "bun";
import { freePort } from "../../support/free-port.ts";
import { waitFor } from "../../support/wait.ts";
import { cleanupScope, sleep, upstream } from "../helpers.ts";
import { selfSignedCert } from "../tls-helpers.ts";
import { spawnProxyProcess, tempHome } from "./proxy-process.ts";

cleanupScope();

const MiB = 1 << 20;
const FLOOD = 300 * MiB;
/** The proxy may grow by this much at most while 300 MiB are offered (unbounded relaying grew ~310 MiB). */
const RSS_BOUND = 80 * MiB;

type PausableWebSocket = WebSocket & { pause(): boolean; resume(): boolean };

function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** A proxy process; with `tls`, the service is HTTPS-only on `localhost` and `url` is wss://. */
async function proxyProcess(tls = false) {
  const httpsPort = tls ? await freePort() : 0;
  const px = await spawnProxyProcess(tempHome("proxy-ws-bp-"), { flags: tls ? [`--https-port=${httpsPort}`] : [] });
  const certFlags = () => {
    const { cert, key } = selfSignedCert(["localhost"]);
    return ["--host=localhost", "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`];
  };
  const deploy = (target: string) => px.cli("deploy", "ws", `--target=${target}`, "--health-check-interval=20ms", ...(tls ? certFlags() : []));
  const url = (path: string) => (tls ? `wss://localhost:${httpsPort}${path}` : `ws://127.0.0.1:${px.port}${path}`);
  return { ...px, deploy, url };
}

/** Sends 1 MiB messages (numbered) as fast as `canSend` allows, up to `total` bytes. */
function flood(send: (m: Uint8Array<ArrayBuffer>) => void, canSend: () => boolean, total: number) {
  const state = { sent: 0, stop: false };
  const pump = async () => {
    let seq = 0;
    while (!state.stop && state.sent < total) {
      if (!canSend()) {
        await sleep(5);
        continue;
      }
      const m = new Uint8Array(MiB);
      new DataView(m.buffer).setUint32(0, seq++);
      send(m);
      state.sent += MiB;
    }
  };
  return { state, done: pump() };
}

for (const tls of [false, true]) {
  test(`a client that never reads while the app sends${tls ? " (wss://, through the TLS front end)" : ""}: the proxy stops reading the app, RSS stays flat, nothing is lost`, async () => {
    const px = await proxyProcess(tls);
    let appSocket: ServerWebSocket<unknown> | undefined;
    const opened = Promise.withResolvers<void>();
    const app = upstream("app", (req, srv) => (srv.upgrade(req) ? undefined : new Response("ok")), {
      open(ws: ServerWebSocket<unknown>) {
        appSocket = ws;
        opened.resolve();
      },
      message() {},
    });
    expect(await px.deploy(app.addr)).toBe(0);
    const client = new WebSocket(px.url("/feed"), { tls: { rejectUnauthorized: false } } as unknown as string[]) as PausableWebSocket;
    client.binaryType = "arraybuffer";
    const received: number[] = [];
    client.onmessage = (e) => received.push(new DataView(e.data as ArrayBuffer).getUint32(0));
    await new Promise((r) => (client.onopen = r));
    await opened.promise;
    client.pause();
    await sleep(300);
    const before = rss(px.proc.pid);

    // The app sends as fast as its own socket lets it (it respects back-pressure from the proxy).
    const f = flood(
      (m) => appSocket!.send(m),
      () => appSocket!.getBufferedAmount() < 4 * MiB,
      FLOOD,
    );
    await sleep(5000);
    const grown = rss(px.proc.pid) - before;
    const sentWhilePaused = f.state.sent;
    expect(grown).toBeLessThan(RSS_BOUND);
    // The app was held back: it could not push anywhere near the 300 MiB it wanted to.
    expect(sentWhilePaused).toBeLessThan(100 * MiB);

    // Once the client reads again, everything arrives, in order, and the rest of the flood flows.
    f.state.stop = true;
    await f.done;
    const total = f.state.sent / MiB;
    client.resume();
    await waitFor(() => received.length >= total, `${total} messages at the client`, 10_000, 25);
    expect(received.length).toBe(total);
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i));
    client.close();
  }, 40_000);
}

for (const tls of [false, true]) {
  test(`an app that never reads while the client sends${tls ? " (wss://, through the TLS front end)" : ""}: the proxy stops reading the client, RSS stays flat`, async () => {
    const px = await proxyProcess(tls);
    let appReceived = 0;
    let appSocket: ServerWebSocket<unknown> | undefined;
    const app = upstream("app", (req, srv) => (srv.upgrade(req) ? undefined : new Response("ok")), {
      open(ws: ServerWebSocket<unknown>) {
        appSocket = ws;
        ws.pause();
      },
      message(_ws: unknown, m: ArrayBuffer) {
        appReceived += m.byteLength;
      },
    });
    expect(await px.deploy(app.addr)).toBe(0);
    const client = new WebSocket(px.url("/upload"), { tls: { rejectUnauthorized: false } } as unknown as string[]);
    await new Promise((r) => (client.onopen = r));
    await sleep(300);
    const before = rss(px.proc.pid);
    const f = flood(
      (m) => client.send(m),
      () => client.bufferedAmount < 4 * MiB,
      FLOOD,
    );
    await sleep(5000);
    expect(rss(px.proc.pid) - before).toBeLessThan(RSS_BOUND);
    expect(f.state.sent).toBeLessThan(100 * MiB);
    f.state.stop = true;
    await f.done;
    const sent = f.state.sent;
    appSocket!.resume();
    await waitFor(() => appReceived >= sent, `${sent} bytes at the app`, 10_000, 25);
    expect(appReceived).toBe(sent);
    client.close();
  }, 40_000);
}
