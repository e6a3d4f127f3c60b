/**
 * The raw-socket health check (proxy/health-probe.ts) against TCP servers that answer exact bytes: status
 * handling, interim answers, redirects (followed with fetch), deadlines, broken answers, what is sent,
 * and that every check's socket is closed.
 */
import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { probeHealth } from "../../proxy/health-probe.ts";
import { DEFAULT_HEALTH_CHECK, type HealthCheckConfig } from "../../proxy/protocol.ts";
import { waitFor } from "../support/wait.ts";
import { cleanupScope, onCleanup, startProxy } from "./helpers.ts";

cleanupScope();

const cfg: HealthCheckConfig = { ...DEFAULT_HEALTH_CHECK, timeout: 2000 };

interface Conn {
  buf: string;
  answered: boolean;
}

interface RawServer {
  port: number;
  url: (path?: string) => string;
  /** Each connection's request head, as received. */
  requests: string[];
  accepted: number;
  open: number;
}

/** A TCP server that calls `answer` once a connection's request head is in; it never closes on its own. */
function rawServer(answer: (s: Socket<Conn>) => unknown, hostname = "127.0.0.1"): RawServer {
  const state: RawServer = { port: 0, url: (path = "/up") => `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${state.port}${path}`, requests: [], accepted: 0, open: 0 };
  const server = Bun.listen<Conn>({
    hostname,
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "", answered: false };
        state.accepted++;
        state.open++;
      },
      data(s, chunk) {
        s.data.buf += chunk.toString("latin1");
        if (s.data.answered || !s.data.buf.includes("\r\n\r\n")) return;
        s.data.answered = true;
        state.requests.push(s.data.buf);
        answer(s);
      },
      close() {
        state.open--;
      },
    },
  });
  onCleanup(() => server.stop(true));
  state.port = server.port;
  return state;
}

const answering = (bytes: string) => rawServer((s) => s.write(bytes));

test("200 and 204 are healthy", async () => {
  expect(await probeHealth(answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").url(), cfg)).toEqual({ ok: true });
  expect(await probeHealth(answering("HTTP/1.1 204 No Content\r\n\r\n").url(), cfg)).toEqual({ ok: true });
});

test("500 is unhealthy: unexpected status 500", async () => {
  expect(await probeHealth(answering("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n").url(), cfg)).toEqual({ ok: false, error: "unexpected status 500" });
});

test("redirects are followed: 301 to a 200 is healthy, 302 to a 500 is not", async () => {
  const good = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  const bad = answering("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  const to301 = answering(`HTTP/1.1 301 Moved Permanently\r\nLocation: ${good.url("/ok")}\r\nContent-Length: 0\r\n\r\n`);
  const to302 = answering(`HTTP/1.1 302 Found\r\nlocation: ${bad.url("/bad")}\r\nContent-Length: 0\r\n\r\n`);
  expect(await probeHealth(to301.url(), cfg)).toEqual({ ok: true });
  expect(good.requests[0]).toStartWith("GET /ok HTTP/1.1\r\n");
  expect(await probeHealth(to302.url(), cfg)).toEqual({ ok: false, error: "unexpected status 500" });
  expect(bad.requests[0]).toStartWith("GET /bad HTTP/1.1\r\n");
});

test("interim answers are skipped: 103 then 200 is healthy, in one write or two", async () => {
  const hints = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
  const ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const apart = rawServer((s) => {
    s.write(hints);
    setTimeout(() => s.write(ok), 20);
  });
  expect(await probeHealth(apart.url(), cfg)).toEqual({ ok: true });
  expect(await probeHealth(answering(`HTTP/1.1 100 Continue\r\n\r\n${hints}${ok}`).url(), cfg)).toEqual({ ok: true });
});

test("101 Switching Protocols is not healthy", async () => {
  expect(await probeHealth(answering("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").url(), cfg)).toEqual({
    ok: false,
    error: "unexpected status 101",
  });
});

test("a server that never answers: timeout after cfg.timeout, and the connection is closed", async () => {
  const silent = rawServer(() => undefined);
  const started = performance.now();
  expect(await probeHealth(silent.url(), { ...cfg, timeout: 200 })).toEqual({ ok: false, error: "timeout" });
  const took = performance.now() - started;
  expect(took).toBeGreaterThanOrEqual(150);
  expect(took).toBeLessThan(3000);
  expect(silent.accepted).toBe(1);
  await waitFor(() => silent.open === 0, "the timed-out check's connection to close", 2000);
});

test("a refused connection is unhealthy with a short error", async () => {
  const gone = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = gone.port;
  gone.stop(true);
  expect(await probeHealth(`http://127.0.0.1:${port}/up`, cfg)).toEqual({ ok: false, error: "connection refused" });
});

test("garbage, a close before the head ends, and a head over 64 KiB are unhealthy (before the timeout)", async () => {
  expect(await probeHealth(answering("garbage\r\n\r\n").url(), cfg)).toEqual({ ok: false, error: "malformed response" });
  const cut = rawServer((s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-");
    s.end();
  });
  expect(await probeHealth(cut.url(), cfg)).toEqual({ ok: false, error: "connection closed before the response" });
  const huge = answering(`HTTP/1.1 200 OK\r\nX-Pad: ${"a".repeat(70 * 1024)}`);
  expect(await probeHealth(huge.url(), { ...cfg, timeout: 10_000 })).toEqual({ ok: false, error: "response head too large" });
  await waitFor(() => huge.open === 0, "the oversized answer's connection to close", 2000);
});

test("lines ending in a bare LF are read as Go's client reads them: 200 healthy, a redirect followed", async () => {
  expect(await probeHealth(answering("HTTP/1.1 200 OK\nContent-Length: 0\n\n").url(), cfg)).toEqual({ ok: true });
  expect(await probeHealth(answering("HTTP/1.1 200\n\n").url(), cfg)).toEqual({ ok: true });
  const good = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  expect(await probeHealth(answering(`HTTP/1.1 302 Found\nLocation: ${good.url()}\nContent-Length: 0\n\n`).url(), cfg)).toEqual({ ok: true });
  expect(await probeHealth(answering("HTTP/1.1 503 Unavailable\nContent-Length: 0\n\n").url(), cfg)).toEqual({ ok: false, error: "unexpected status 503" });
});

test("a head delivered one byte per write is read whole", async () => {
  const head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const trickle = rawServer(async (s) => {
    for (const byte of head) {
      s.write(byte);
      await Bun.sleep(1);
    }
  });
  expect(await probeHealth(trickle.url(), cfg)).toEqual({ ok: true });
});

test("the request: path and query, Host from cfg.host or the URL, User-Agent kamal-proxy, Connection close", async () => {
  const up = answering("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  expect(await probeHealth(up.url("/up?x=1&y=%20"), cfg)).toEqual({ ok: true });
  expect(await probeHealth(up.url(), { ...cfg, host: "app.internal" })).toEqual({ ok: true });
  expect(up.requests[0]).toBe(`GET /up?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\nUser-Agent: kamal-proxy\r\nConnection: close\r\n\r\n`);
  expect(up.requests[1]).toBe("GET /up HTTP/1.1\r\nHost: app.internal\r\nUser-Agent: kamal-proxy\r\nConnection: close\r\n\r\n");
});

const hasIpv6Loopback = (() => {
  try {
    Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
})();

test.skipIf(!hasIpv6Loopback)("an IPv6 literal URL, [::1]:port, is reached and named in Host", async () => {
  const up = rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), "::1");
  expect(await probeHealth(up.url(), cfg)).toEqual({ ok: true });
  expect(up.requests[0]).toContain(`\r\nHost: [::1]:${up.port}\r\n`);
});

test("200 checks against one server leave no connection open", async () => {
  const up = answering("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  for (let i = 0; i < 200; i++) expect(await probeHealth(up.url(), cfg)).toEqual({ ok: true });
  expect(up.accepted).toBe(200);
  await waitFor(() => up.open === 0, "every check's connection to close", 2000);
});

test("a proxy started without an injected fetch checks its targets with the probe", async () => {
  const p = await startProxy();
  const up = answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  expect((await p.deploy("web", `127.0.0.1:${up.port}`)).code).toBe(0);
  // fetch would have sent its own headers (Accept, keep-alive); the probe sends exactly these.
  expect(up.requests[0]).toBe(`GET /up HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\nUser-Agent: kamal-proxy\r\nConnection: close\r\n\r\n`);
});
