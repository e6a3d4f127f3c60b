/**
 * Upstream connections: reuse of kept-alive connections the upstream closes behind the proxy's back, an
 * upstream that dies mid-body, one that is down, and one that is too slow.
 */
import { expect, test } from "bun:test";
import { gate } from "../../support/wait.ts";
import { cleanupScope, onCleanup, sleep, startProxy } from "../helpers.ts";
import { binaryBody, connect, get, header, lengthResponse, parseResponses, rawUpstream } from "./support.ts";

cleanupScope();

const T = 15_000;

test(
  "an upstream that closes after every response (without Connection: close): many sequential GETs all succeed",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req, conn) => {
      conn.write(lengthResponse(`answer ${req.path}`));
      conn.end();
      return undefined;
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const c = await connect(p.port);
    const paths: string[] = [];
    for (let i = 0; i < 40; i++) {
      const path = `/seq/${i}`;
      paths.push(path);
      const r = await c.request("GET", get(path));
      expect(r).toMatchObject({ status: 200, body: `answer ${path}` });
      // Now and then a pause, so the upstream's FIN has arrived before the next request is sent.
      if (i % 8 === 7) await sleep(20);
    }
    // Every request reached the app exactly once, in order (a retry only ever repeats a request the
    // upstream never received), each on a connection of its own.
    expect(up.received.map((r) => r.path)).toEqual(paths);
    expect(new Set(up.received.map((r) => r.conn)).size).toBe(paths.length);
    // Fresh client connections too.
    for (let i = 0; i < 10; i++) {
      const r = await (await connect(p.port)).request("GET", get(`/fresh/${i}`));
      expect(r.body).toBe(`answer /fresh/${i}`);
    }
    expect(up.received.length).toBe(50);
  },
  T,
);

test(
  "an upstream that drops each kept-alive connection a moment after answering: back-to-back GETs all succeed, each reaching it once",
  async () => {
    const p = await startProxy();
    // The close comes 0-4 ms after the answer, so some of the proxy's next requests go out on a connection
    // that is already gone (answered with a reset, the request never read): those, and only those, are
    // to be retried.
    let n = 0;
    const up = await rawUpstream((req, conn) => {
      conn.write(lengthResponse(`answer ${req.path}`));
      setTimeout(() => conn.close(), n++ % 5);
      return undefined;
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    const clients = await Promise.all([0, 1, 2].map(() => connect(p.port)));
    const paths: string[] = [];
    await Promise.all(
      clients.map(async (c, ci) => {
        for (let i = 0; i < 25; i++) {
          const path = `/c${ci}/${i}`;
          paths.push(path);
          expect(await c.request("GET", get(path))).toMatchObject({ status: 200, body: `answer ${path}` });
        }
      }),
    );
    // Each request reached the app exactly once (none lost, none repeated).
    expect(up.received.map((r) => r.path).sort()).toEqual(paths.sort());
    expect(p.requestLogs().map((l) => l.status)).toEqual(Array(75).fill(200));
  },
  T,
);

test(
  "an upstream that resets mid-body: the client's response is cut, never complete-looking; the next connection works",
  async () => {
    const p = await startProxy();
    const declared = 1 << 20;
    const partial = binaryBody(256 * 1024, 2);
    const up = await rawUpstream(async (req, conn) => {
      if (req.path !== "/cut") return lengthResponse("fine");
      conn.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n${partial}`);
      await sleep(200);
      conn.reset();
      return undefined;
    });
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    for (let round = 0; round < 2; round++) {
      const c = await connect(p.port);
      c.methods.push("GET");
      c.write(get("/cut"));
      expect(await c.waitClosed(5000)).toBe(true);
      // Whatever arrived does not parse as a whole 200: at most a head and part of its body.
      const parsed = parseResponses(c.received, ["GET"], false);
      const whole200 = parsed.responses.filter((r) => r.status === 200);
      expect(whole200).toEqual([]);
      if (parsed.responses.length === 0 && c.received.startsWith("HTTP/1.1 200")) {
        expect(c.received.length).toBeLessThan(c.received.indexOf("\r\n\r\n") + 4 + declared);
      }
      // A fresh client connection is served normally.
      const next = await connect(p.port);
      expect(await next.request("GET", get("/after"))).toMatchObject({ status: 200, body: "fine" });
    }
    expect(up.received.map((r) => r.path)).toEqual(["/cut", "/after", "/cut", "/after"]);
  },
  T,
);

test(
  "an upstream that is down: 502, and the client connection still works once it is back",
  async () => {
    const p = await startProxy();
    const first = await rawUpstream((req) => lengthResponse(`up ${req.path}`));
    expect((await p.deploy("web", first.addr)).code).toBe(0);
    const c = await connect(p.port);
    expect(await c.request("GET", get("/before"))).toMatchObject({ status: 200, body: "up /before" });
    await first.stop();
    const down = await c.request("GET", get("/down"));
    expect(down.status).toBe(502);
    const again = await c.request("GET", get("/down-again"));
    expect(again.status).toBe(502);
    expect(first.received.map((r) => r.path)).toEqual(["/before"]);
    // A fresh connection gets the 502 too.
    expect((await (await connect(p.port)).request("GET", get("/fresh"))).status).toBe(502);
    // Redeployed on a live upstream, the same client connection is served again.
    const second = await rawUpstream((req) => lengthResponse(`second ${req.path}`));
    expect((await p.deploy("web", second.addr)).code).toBe(0);
    if (!c.closed) expect(await c.request("GET", get("/back"))).toMatchObject({ status: 200, body: "second /back" });
    else expect((await (await connect(p.port)).request("GET", get("/back"))).body).toBe("second /back");
    expect(second.received.map((r) => r.path)).toEqual(["/back"]);
    expect(p.requestLogs().map((l) => l.status)).toEqual([200, 502, 502, 502, 200]);
  },
  T,
);

test(
  "an upstream that is down, asked with HEAD: the 502 comes as a head alone, and the connection reads on cleanly",
  async () => {
    const p = await startProxy();
    const up = await rawUpstream((req) => lengthResponse(`up ${req.path}`));
    expect((await p.deploy("web", up.addr)).code).toBe(0);
    await up.stop();
    const c = await connect(p.port);
    const head = await c.request("HEAD", "HEAD /down HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(head.status).toBe(502);
    expect(head.body).toBe("");
    expect(Number(header(head, "content-length"))).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(header(head, "date") ?? ""))).toBe(false);
    // Had the page followed the head, it would be read here as the start of the next answer.
    const next = await c.request("GET", get("/down-again"));
    expect(next.status).toBe(502);
    expect(next.body.length).toBe(Number(header(next, "content-length")));
    expect(c.parsed().rest).toBe("");
    expect(p.requestLogs().map((l) => [l.method, l.status, l.resp_content_length])).toEqual([
      ["HEAD", 502, 0],
      ["GET", 502, next.body.length],
    ]);
  },
  T,
);

test(
  "a slow upstream with --target-timeout=1s: 504, and the connection serves the next request",
  async () => {
    const p = await startProxy();
    const late = gate();
    onCleanup(late.release);
    const up = await rawUpstream(async (req) => {
      if (req.path === "/slow") await late.wait; // answers only after the test, so the 504 is the proxy's own
      return lengthResponse(`answer ${req.path}`);
    });
    expect((await p.deploy("web", up.addr, "--target-timeout=1s")).code).toBe(0);
    const c = await connect(p.port);
    const t0 = performance.now();
    const r = await c.request("GET", get("/slow"), 8000);
    expect(r.status).toBe(504);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
    if (!c.closed) expect(await c.request("GET", get("/quick"))).toMatchObject({ status: 200, body: "answer /quick" });
    else expect((await (await connect(p.port)).request("GET", get("/quick"))).body).toBe("answer /quick");
    expect(up.received.map((r) => r.path)).toEqual(["/slow", "/quick"]);
    expect(p.requestLogs().map((l) => [l.path, l.status])).toEqual([
      ["/slow", 504],
      ["/quick", 200],
    ]);
  },
  T,
);
