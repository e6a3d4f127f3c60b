/**
 * Response back-pressure through a proxy process: a client that asks for 64 MiB and does not read for a
 * while must hold back the proxy (and through it the app) instead of the proxy buffering the body.
 * Memory is the proxy process's RSS, read from /proc (as in hardening/websocket-backpressure.test.ts).
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import net from "node:net";
import { waitFor } from "../../support/wait.ts";
import { spawnProxyProcess, tempHome } from "../hardening/proxy-process.ts";
import { cleanupScope, onCleanup, sleep, upstream } from "../helpers.ts";

cleanupScope();

const MiB = 1 << 20;
const SIZE = 64 * MiB;
const RSS_BOUND = 48 * MiB;

function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Byte i of the body: a pattern that shows loss, duplication or reordering. */
const byteAt = (i: number) => (i * 31 + (i >>> 16)) & 0xff;

function patternChunk(from: number, n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = byteAt(from + i);
  return a;
}

test("a client that asks for 64 MiB and does not read for 2 s: the proxy does not buffer it, then all 64 MiB arrive", async () => {
  const px = await spawnProxyProcess(tempHome("proxy-fast-bp-"));
  // The app produces the body as it is pulled, so how far it got shows how far back-pressure reached.
  let produced = 0;
  const CHUNK = 256 * 1024;
  const app = upstream("big", (req) => {
    if (new URL(req.url).pathname === "/up") return new Response("ok");
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (produced >= SIZE) return controller.close();
          const n = Math.min(CHUNK, SIZE - produced);
          controller.enqueue(patternChunk(produced, n));
          produced += n;
        },
      }),
      { headers: { "content-type": "application/octet-stream", "content-length": String(SIZE) } },
    );
  });
  expect(await px.cli("deploy", "web", `--target=${app.addr}`, "--health-check-interval=20ms")).toBe(0);
  await sleep(300);
  const before = rss(px.proc.pid);

  const socket = net.connect(px.port, "127.0.0.1");
  onCleanup(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.pause();
  socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  await sleep(2000);
  const grown = rss(px.proc.pid) - before;
  const producedWhilePaused = produced;
  expect(grown).toBeLessThan(RSS_BOUND);
  // The app was held back too: the body was not read off it into some buffer.
  expect(producedWhilePaused).toBeLessThan(SIZE - 16 * MiB);

  // The client reads now: the head, then every byte of the body, in order (Content-Length or chunked).
  const chunks: Buffer[] = [];
  let total = 0;
  let closed = false;
  socket.on("data", (d: Buffer) => {
    chunks.push(d);
    total += d.length;
  });
  socket.on("close", () => (closed = true));
  socket.resume();
  const whole = () => {
    if (closed) return true;
    const last = chunks.at(-1);
    if (!last) return false;
    const tail = Buffer.concat(chunks.slice(-2)).toString("latin1");
    return total >= SIZE && (tail.endsWith("\r\n0\r\n\r\n") || !chunks[0]!.toString("latin1").toLowerCase().includes("transfer-encoding: chunked"));
  };
  await waitFor(() => whole() && (closed || bodyOf(Buffer.concat(chunks)) !== undefined), "the whole body at the client", 10_000, 20);
  const body = bodyOf(Buffer.concat(chunks))!;
  expect(body.length).toBe(SIZE);
  let mismatch = -1;
  for (let i = 0; i < body.length; i++)
    if (body[i] !== byteAt(i)) {
      mismatch = i;
      break;
    }
  expect(mismatch).toBe(-1);
  socket.destroy();
}, 15_000);

/** The body of the one 200 response in `raw`, de-chunked if need be; undefined while incomplete. */
function bodyOf(raw: Buffer): Buffer | undefined {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString("latin1").toLowerCase();
  if (!head.startsWith("http/1.1 200")) throw new Error(`unexpected answer: ${head}`);
  let p = end + 4;
  const cl = /\r\ncontent-length: *(\d+)/.exec(head);
  if (cl) return raw.length >= p + Number(cl[1]) ? raw.subarray(p, p + Number(cl[1])) : undefined;
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return raw.subarray(p); // close-delimited
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", p);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(raw.subarray(p, lineEnd).toString("latin1").split(";")[0]!, 16);
    if (Number.isNaN(size)) throw new Error("malformed chunk size");
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < lineEnd + 4 + size) return undefined;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    p = lineEnd + 4 + size;
  }
}
