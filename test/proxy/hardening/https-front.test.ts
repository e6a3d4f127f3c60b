/**
 * HTTPS through the TLS front end (proxy/fast/tls-front.ts): HTTP/1.1 over TLS gets what plain HTTP gets
 * (absolute-form targets routed by their authority, a header deadline a trickling client cannot stretch,
 * the fast lane), a client that never finishes its handshake is cut, and HTTP/2 is relayed to the chain
 * with the client's address and the https scheme intact.
 */
import { expect, test } from "bun:test";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { freePort } from "../../support/free-port.ts";
import { cleanupScope, sleep, startProxy, upstream } from "../helpers.ts";
import { selfSignedCert } from "../tls-helpers.ts";
import { rawConnect } from "./raw-client.ts";

cleanupScope();

/** What an upstream got, health checks left out. */
const served = (up: ReturnType<typeof upstream>) => up.requests.filter((r) => new URL(r.url).pathname !== "/up");

const READ_HEADER_MS = 1000;

/** Two TLS services, a.test and b.test, each with its own upstream that records what it gets. */
async function twoTlsServices() {
  const p = await startProxy({ timeouts: { readHeader: READ_HEADER_MS } });
  const a = upstream("a");
  const b = upstream("b");
  for (const [name, up] of [
    ["a", a],
    ["b", b],
  ] as const) {
    const { cert, key } = selfSignedCert([`${name}.test`]);
    const deployed = await p.deploy(name, up.addr, `--host=${name}.test`, "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
    expect(deployed.code, deployed.err).toBe(0);
  }
  return { p, a, b };
}

/** A TLS connection with HTTP/1.1: what it receives, and whether (and when) it was closed. */
async function tlsClient(port: number, servername: string) {
  const socket = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  const state = { received: "", closedAt: 0 };
  socket.on("data", (d: Buffer) => (state.received += d.toString("latin1")));
  socket.on("error", () => undefined);
  socket.on("close", () => (state.closedAt = performance.now()));
  return { socket, state, subject: (socket.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN };
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

test("HTTPS/1.1: GET https://b.test/x with Host: a.test goes to b.test's service, which sees Host b.test", async () => {
  const { p, a, b } = await twoTlsServices();
  const c = await tlsClient(p.server.tls.port, "a.test");
  expect(c.subject).toBe("a.test");
  c.socket.write("GET https://b.test/x?y=1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
  expect(await until(() => c.state.received.includes("\r\n\r\n"), 5000)).toBe(true);
  expect(c.state.received).toStartWith("HTTP/1.1 200");
  expect(served(a)).toEqual([]);
  expect(served(b).map((r) => [new URL(r.url).pathname, r.headers.get("host"), r.headers.get("x-forwarded-proto")])).toEqual([["/x", "b.test", "https"]]);
  c.socket.destroy();
}, 15_000);

test("HTTPS/1.1: a client trickling its request head is cut at the header-read deadline", async () => {
  const { p, a } = await twoTlsServices();
  const c = await tlsClient(p.server.tls.port, "a.test");
  const started = performance.now();
  const head = "GET / HTTP/1.1\r\nHost: a.test\r\nX-Slow: 0123456789012345678901234567890123456789\r\n\r\n";
  // One byte every 100 ms: each byte is well inside any inactivity timer, the whole head never arrives in time.
  for (let i = 0; i < head.length && !c.state.closedAt; i++) {
    c.socket.write(head[i]!);
    await sleep(100);
  }
  expect(c.state.closedAt).toBeGreaterThan(0);
  const lasted = c.state.closedAt - started;
  expect(lasted).toBeGreaterThan(READ_HEADER_MS - 100);
  expect(lasted).toBeLessThan(READ_HEADER_MS + 1500);
  expect(served(a)).toEqual([]);
}, 15_000);

test("a TCP client that never starts its TLS handshake is closed after the header-read timeout", async () => {
  const { p } = await twoTlsServices();
  const started = performance.now();
  const c = await rawConnect(p.server.tls.port);
  expect(await c.waitClosed(READ_HEADER_MS + 3000)).toBe(true);
  expect(performance.now() - started).toBeGreaterThan(READ_HEADER_MS - 100);
}, 15_000);

test("HTTPS/1.1 keep-alive GETs take the fast lane: the app sees X-Forwarded-Proto https, the log says https", async () => {
  const { p, a } = await twoTlsServices();
  const c = await tlsClient(p.server.tls.port, "a.test");
  for (let i = 0; i < 3; i++) {
    c.socket.write(`GET /n${i} HTTP/1.1\r\nHost: a.test\r\n\r\n`);
    expect(await until(() => served(a).length === i + 1 && c.state.received.split("HTTP/1.1 200").length === i + 2, 5000)).toBe(true);
  }
  expect(served(a).map((r) => [new URL(r.url).pathname, r.headers.get("x-forwarded-proto"), r.headers.get("x-forwarded-for")])).toEqual([
    ["/n0", "https", "127.0.0.1"],
    ["/n1", "https", "127.0.0.1"],
    ["/n2", "https", "127.0.0.1"],
  ]);
  const logs = p.requestLogs().filter((l) => l.service === "a");
  expect(logs.map((l) => [l.path, l.scheme])).toEqual([
    ["/n0", "https"],
    ["/n1", "https"],
    ["/n2", "https"],
  ]);
  c.socket.destroy();
}, 15_000);

test("HTTP/2 over TLS is relayed to the chain: several streams on one connection, each with the client's address and https", async () => {
  const { p, a, b } = await twoTlsServices();
  const session = http2.connect(`https://127.0.0.1:${p.server.tls.port}`, { servername: "b.test", rejectUnauthorized: false });
  session.on("error", () => undefined);
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = session.request({ ":path": path, ":authority": "b.test" });
      let body = "";
      let status = 0;
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => resolve({ status, body }));
      req.on("error", reject);
      req.end();
    });
  const answers = await Promise.all([get("/h1"), get("/h2"), get("/h3")]);
  session.close();
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(served(a)).toEqual([]);
  expect(
    served(b)
      .map((r) => [new URL(r.url).pathname, r.headers.get("x-forwarded-proto"), r.headers.get("x-forwarded-for")])
      .sort(),
  ).toEqual([
    ["/h1", "https", "127.0.0.1"],
    ["/h2", "https", "127.0.0.1"],
    ["/h3", "https", "127.0.0.1"],
  ]);
  const logs = p.requestLogs().filter((l) => l.service === "b");
  expect(logs.map((l) => [l.path, l.scheme]).sort()).toEqual([
    ["/h1", "https"],
    ["/h2", "https"],
    ["/h3", "https"],
  ]);
}, 15_000);

test("a WebSocket over HTTPS (wss://) is upgraded through the TLS front end and echoes both ways", async () => {
  const p = await startProxy();
  const seen: (string | null)[] = [];
  const up = upstream(
    "ws",
    (req, srv) => {
      if (new URL(req.url).pathname === "/up") return new Response("ok");
      seen.push(req.headers.get("x-forwarded-proto"));
      return srv.upgrade(req) ? undefined : new Response("no", { status: 400 });
    },
    { message: (ws: { send(m: unknown): void }, m: unknown) => ws.send(m) },
  );
  const { cert, key } = selfSignedCert(["chat.test"]);
  expect((await p.deploy("chat", up.addr, "--host=chat.test", "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`)).code).toBe(0);
  const ws = new WebSocket(`wss://127.0.0.1:${p.server.tls.port}/cable`, { headers: { host: "chat.test" }, tls: { rejectUnauthorized: false, serverName: "chat.test" } } as any);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const echoed = new Promise<string>((r) => (ws.onmessage = (e) => r(String(e.data))));
  ws.send("over tls");
  expect(await echoed).toBe("over tls");
  expect(seen).toEqual(["https"]);
  ws.close();
}, 15_000);

/** A proxy with --http3 and one TLS service for localhost. */
async function http3Service() {
  const p = await startProxy({ http3: true });
  const up = upstream("h3");
  const { cert, key } = selfSignedCert(["localhost"]);
  expect((await p.deploy("web", up.addr, "--host=localhost", "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`)).code).toBe(0);
  return { p, up, port: p.server.tls.port };
}

test("with --http3 the same port answers HTTP/3 over QUIC, and TCP answers on both lanes advertise it", async () => {
  const { up, port } = await http3Service();
  const res = await fetch(`https://127.0.0.1:${port}/quic`, { protocol: "http3", headers: { host: "localhost" }, tls: { rejectUnauthorized: false } } as RequestInit);
  expect([res.status, await res.text(), res.headers.has("alt-svc")]).toEqual([200, "h3", false]);
  // A GET over TCP takes the fast lane, a POST the chain: both say where HTTP/3 is.
  const c = await tlsClient(port, "localhost");
  c.socket.write("GET /tcp HTTP/1.1\r\nHost: localhost\r\n\r\n");
  expect(await until(() => c.state.received.includes("\r\n\r\n"), 5000)).toBe(true);
  c.socket.write("POST /tcp HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
  expect(await until(() => c.state.received.split("HTTP/1.1 200").length === 3, 5000)).toBe(true);
  expect(c.state.received.match(/alt-svc: .*/gi)).toEqual([`alt-svc: h3=":${port}"; ma=86400`, `alt-svc: h3=":${port}"; ma=86400`]);
  c.socket.destroy();
  expect(served(up).map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(["GET /quic", "GET /tcp", "POST /tcp"]);
}, 15_000);

test("over HTTPS, a request no service claims gets the front end's 404: https in its log line, Alt-Svc with --http3", async () => {
  const { p, port } = await http3Service();
  const c = await tlsClient(port, "localhost");
  c.socket.write("GET /none HTTP/1.1\r\nHost: nobody.test\r\n\r\n");
  expect(await until(() => c.state.received.includes("</html>"), 5000)).toBe(true);
  c.socket.destroy();
  expect(c.state.received).toStartWith("HTTP/1.1 404 Not Found\r\n");
  expect(c.state.received.match(/alt-svc: .*/gi)).toEqual([`alt-svc: h3=":${port}"; ma=86400`]);
  expect(p.requestLogs().map((l) => [l.status, l.scheme, l.host, l.service])).toEqual([[404, "https", "nobody.test", ""]]);
  expect(p.server.chainStarted).toBe(false);
}, 15_000);

test("a graceful stop closes an idle HTTP/2 session at once, as Bun.serve did (no wait for the 10 s deadline)", async () => {
  const { p } = await twoTlsServices();
  const session = http2.connect(`https://127.0.0.1:${p.server.tls.port}`, { servername: "b.test", rejectUnauthorized: false });
  session.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => session.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const req = session.request({ ":path": "/idle", ":authority": "b.test" });
    req.on("data", () => undefined);
    req.on("end", () => resolve());
    req.on("error", reject);
    req.end();
  });
  const started = performance.now();
  await p.stop();
  expect(performance.now() - started).toBeLessThan(3000);
  await closed;
}, 15_000);

test("an HTTPS port that is taken is reported, and the next certificate change binds it once it is free", async () => {
  const port = await freePort();
  const blocker = net.createServer().listen(port, "127.0.0.1");
  await new Promise((r) => blocker.once("listening", r));
  const p = await startProxy({ httpsPort: port });
  const deployTls = async (name: string) => {
    const { cert, key } = selfSignedCert([`${name}.test`]);
    return (await p.deploy(name, upstream(name).addr, `--host=${name}.test`, "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`)).code;
  };
  expect(await deployTls("a")).toBe(0);
  expect(await until(() => p.logs.some((l) => l.includes("Unable to start the HTTPS listener") && l.includes("EADDRINUSE")), 3000)).toBe(true);
  await new Promise((r) => blocker.close(r));
  expect(await deployTls("b")).toBe(0);
  const c = await tlsClient(port, "b.test");
  expect(c.subject).toBe("b.test");
  c.socket.destroy();
}, 15_000);
