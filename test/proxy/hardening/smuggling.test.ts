/**
 * Request smuggling and header hygiene with raw bytes: for each malformed request, the status the client
 * gets AND what the app received (nothing, or exactly one whole request; never a second, smuggled one).
 */
import { expect, test } from "bun:test";
import { waitFor } from "../../support/wait.ts";
import { cleanupScope, startProxy } from "../helpers.ts";
import { selfSignedCert } from "../tls-helpers.ts";
import { rawConnect, statuses } from "./raw-client.ts";
import { type Received, recordingUpstream } from "./recording-upstream.ts";

cleanupScope();

/** How the app's answers end, so a kept-alive connection's answer is known to be complete. */
const END = " (end)";

/** Services a.test and b.test on one app; with `https`, TLS services (custom certificate) as well. */
async function setup(https = false) {
  const p = await startProxy();
  const up = recordingUpstream((r) => new Response(`app saw ${r.method} ${r.path} host=${r.host} body=${r.body}${END}`));
  const flags = [];
  if (https) {
    const { cert, key } = selfSignedCert(["a.test", "b.test"]);
    flags.push("--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  }
  expect((await p.deploy("a", up.addr, "--host=a.test", ...flags)).code).toBe(0);
  expect((await p.deploy("b", up.addr, "--host=b.test", ...flags)).code).toBe(0);
  return { p, up };
}

/**
 * Send the bytes and return what came back: everything until the proxy closes the connection (a
 * refused request), or, for an accepted one kept alive, until `answered` (the end of the app's answer)
 * arrived.
 */
async function send(port: number, bytes: string, answered?: string, tls?: { servername: string }): Promise<string> {
  const c = await rawConnect(port, { tls });
  c.write(bytes);
  if (answered) await c.waitFor(answered, 5000);
  else await c.waitClosed(1500);
  c.destroy();
  return c.received;
}

interface Case {
  name: string;
  bytes: string;
  status: number;
  /** What the app must have received: [] for nothing. */
  app: Partial<Received>[];
}

const H = "Host: a.test\r\n";
const REFUSED: Case[] = [
  { name: "CL + TE (CL.TE)", bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGPOST / HTTP/1.1\r\n${H}\r\n`, status: 400, app: [] },
  { name: "TE + CL (TE.CL)", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE: xchunked", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE with a space before the colon", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE: chunked, identity", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE: identity, chunked", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE twice", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE on an obs-fold line", bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "TE on HTTP/1.0", bytes: `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, status: 400, app: [] },
  { name: "two different Content-Lengths", bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, status: 400, app: [] },
  { name: "two equal Content-Lengths", bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, status: 400, app: [] },
  { name: "Content-Length: +3", bytes: `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`, status: 400, app: [] },
  { name: "bare LF line endings", bytes: "GET / HTTP/1.1\nHost: a.test\n\n", status: 505, app: [] },
  { name: "obs-fold header", bytes: `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`, status: 400, app: [] },
  { name: "NUL in a header value", bytes: `GET / HTTP/1.1\r\n${H}X-A: b\0c\r\n\r\n`, status: 400, app: [] },
  { name: "NUL in the path", bytes: `GET /a\0b HTTP/1.1\r\n${H}\r\n`, status: 505, app: [] },
  { name: "a space before the Host colon", bytes: "GET / HTTP/1.1\r\nHost : a.test\r\n\r\n", status: 400, app: [] },
  { name: "two Host headers", bytes: "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", status: 400, app: [] },
];

for (const c of REFUSED) {
  test(`refused: ${c.name} → ${c.status}, the app receives nothing`, async () => {
    const { p, up } = await setup();
    const out = await send(p.port, c.bytes);
    expect(statuses(out)).toEqual([c.status]);
    expect(up.received).toEqual([]);
  });
}

// The same bytes over HTTPS with HTTP/1.1: the TLS front end hands them to the same front end.
for (const c of REFUSED) {
  test(`refused over HTTPS: ${c.name} → ${c.status}, the app receives nothing`, async () => {
    const { p, up } = await setup(true);
    const out = await send(p.server.tls.port, c.bytes, undefined, { servername: "a.test" });
    expect(statuses(out)).toEqual([c.status]);
    expect(up.received).toEqual([]);
  });
}

// Bad chunk framing is found only while the body streams to the app, as in Go's proxy: the client gets
// 400, the connection closes, and the app sees one request whose body ends in an error (never a whole
// request, never a second one).
const BAD_CHUNKS = {
  "chunk size that is not hex": "zz\r\nabc\r\n0\r\n\r\n",
  "negative chunk size": "-3\r\nabc\r\n0\r\n\r\n",
  "chunk size that overflows 64 bits": "fffffffffffffffff1\r\nabc\r\n0\r\n\r\n",
  "chunk longer than its size": "3\r\nabcdef\r\n0\r\n\r\n",
  "chunk lines ending in a bare LF": "3\nabc\n0\n\n",
};
for (const [name, body] of Object.entries(BAD_CHUNKS)) {
  test(`refused: ${name} → 400, the app never gets a whole request`, async () => {
    const { p, up } = await setup();
    const out = await send(p.port, `POST /chunks HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}GET /smuggled HTTP/1.1\r\n${H}\r\n`);
    expect(statuses(out)).toEqual([400]);
    await waitFor(() => up.received.every((r) => r.bodyError !== undefined), "the app's body read to end");
    expect(up.received.length).toBeLessThanOrEqual(1);
    for (const r of up.received) {
      expect(r.path).toBe("/chunks");
      expect(r.bodyError).toBeDefined();
    }
  });
}

test("accepted: TE with a tab before the value is plain chunked (one whole request)", async () => {
  const { p, up } = await setup();
  const out = await send(p.port, `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\tchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, END);
  expect(statuses(out)).toEqual([200]);
  expect(up.received).toEqual([{ method: "POST", path: "/", host: "a.test", body: "abc" }]);
});

test("Connection: Host does not strip Host: the app sees the client's Host, not the target's address", async () => {
  const { p, up } = await setup();
  const out = await send(p.port, `GET /x HTTP/1.1\r\n${H}Connection: Host, X-Drop\r\nX-Drop: 1\r\n\r\n`, END);
  expect(statuses(out)).toEqual([200]);
  expect(up.received).toEqual([{ method: "GET", path: "/x", host: "a.test", body: "" }]);
  expect(up.requests.at(-1)!.headers.has("x-drop")).toBe(false);
});

test("an absolute-form URI's authority wins over the Host header (RFC 9112 §3.2.2); without a Host header it is refused", async () => {
  const { p, up } = await setup();
  const out = await send(p.port, `GET http://b.test/x HTTP/1.1\r\n${H}\r\n`, END);
  expect(statuses(out)).toEqual([200]);
  expect(up.received).toEqual([{ method: "GET", path: "/x", host: "b.test", body: "" }]);
  expect(p.requestLogs().map((l) => l.service)).toEqual(["b"]);
  // Every HTTP/1.1 request needs a Host header, whatever its target says.
  const { up: up2, p: p2 } = await setup();
  expect(statuses(await send(p2.port, "GET http://b.test/x HTTP/1.1\r\n\r\n"))).toEqual([400]);
  expect(up2.received).toEqual([]);
});
