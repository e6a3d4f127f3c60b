/**
 * Pipelined requests (several requests in one TCP write). Bun.serve, with an async handler, drops the
 * connection when a second request arrives while the first is still being handled, without answering
 * either (Bun 1.4.5; a plain Bun.serve shows it, see the first test). The proxy's front end reads every
 * request head itself and hands the chain one request at a time, so both lanes answer pipelined
 * requests in order, over HTTPS too (more cases in test/proxy/fast-lane/pipelining.test.ts).
 */
import { expect, test } from "bun:test";
import { waitFor } from "../../support/wait.ts";
import { cleanupScope, sleep, startProxy } from "../helpers.ts";
import { selfSignedCert } from "../tls-helpers.ts";
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

test("a POST with a body and a GET in one write: both answered in order, each executed once (50 tries)", async () => {
  const p = await startProxy();
  const up = recordingUpstream();
  await p.deploy("web", up.addr);
  for (let i = 0; i < 50; i++) {
    const c = await rawConnect(p.port);
    c.write(TWO);
    await waitFor(() => statuses(c.received).length >= 2, "two answers");
    expect(statuses(c.received)).toEqual([200, 200]);
    c.destroy();
  }
  expect(up.received.length).toBe(100);
  for (let i = 0; i < 100; i += 2) {
    expect(`${up.received[i]!.method} ${up.received[i]!.path} ${up.received[i]!.body}`).toBe("POST /first abc");
    expect(`${up.received[i + 1]!.method} ${up.received[i + 1]!.path}`).toBe("GET /second");
  }
}, 30_000);

/** Sends `text` in one write over TLS with HTTP/1.1 and collects what comes back until `enough` or 3 s. */
async function overTls(port: number, text: string, enough: (received: string) => boolean): Promise<string> {
  const c = await rawConnect(port, { tls: { servername: "localhost" } });
  c.write(text);
  await c.until(() => enough(c.received) || c.closed, 3000);
  c.destroy();
  return c.received;
}

async function tlsProxy(http3: boolean) {
  const { cert, key } = selfSignedCert(["localhost"]);
  const p = await startProxy({ http3 });
  const up = recordingUpstream();
  expect((await p.deploy("web", up.addr, "--host=localhost", "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`)).code).toBe(0);
  return { p, up, two: TWO.replaceAll("Host: x", "Host: localhost") };
}

for (const http3 of [false, true]) {
  test(`over HTTPS with HTTP/1.1${http3 ? " (--http3 on)" : ""}: a POST and a GET in one write are both answered in order, each executed once (20 tries)`, async () => {
    const { p, up, two } = await tlsProxy(http3);
    for (let i = 0; i < 20; i++) {
      const received = await overTls(p.server.tls.port, two, (r) => statuses(r).length >= 2);
      expect(statuses(received)).toEqual([200, 200]);
    }
    expect(up.received.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual(Array.from({ length: 20 }, () => ["POST /first abc", "GET /second "]).flat());
  }, 60_000);
}
