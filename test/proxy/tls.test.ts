/** What needs the HTTPS listener (custom certificates): redirects, X-Forwarded-Proto, ALPN, SNI, restored TLS routes. */
import { expect, test } from "bun:test";
import { connect } from "node:tls";
import { cleanupScope, echoUpstream, startProxy, upstream } from "./helpers.ts";
import { httpsGet, selfSignedCert } from "./tls-helpers.ts";

cleanupScope();

test("canonical host with TLS: one 301 from http://www and from https://www", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  const r = await p.deploy("web", upstream().addr, "--host=example.com,www.example.com", "--canonical-host=example.com", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  expect(r.code).toBe(0);
  const plain = await p.request("/a?b=c", { host: "www.example.com" });
  expect(plain.status).toBe(301);
  expect(plain.headers.get("location")).toBe("https://example.com/a?b=c");
  const secure = await httpsGet(p.server.tls.port, "/a", "www.example.com");
  expect(secure.status).toBe(301);
  expect(secure.headers.get("location")).toBe("https://example.com/a");
  expect((await httpsGet(p.server.tls.port, "/", "example.com")).status).toBe(200);
});

test("TLS with redirect: HTTP gets 301 to https://example.com/, HTTPS gets 200", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("web", upstream().addr, "--host=example.com", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  const r = await p.request("/", { host: "example.com" });
  expect(r.status).toBe(301);
  expect(r.headers.get("location")).toBe("https://example.com/");
  expect((await httpsGet(p.server.tls.port, "/", "example.com")).status).toBe(200);
});

test("TLS without redirect serves both schemes with the right X-Forwarded-Proto", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("web", echoUpstream().addr, "--host=example.com", "--tls", "--tls-redirect=false", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  const plain = await p.request("/x", { host: "example.com" });
  expect(plain.status).toBe(200);
  expect((await plain.json()).headers["x-forwarded-proto"]).toBe("http");
  const secure = await httpsGet(p.server.tls.port, "/x", "example.com");
  expect(secure.status).toBe(200);
  expect((await secure.json()).headers["x-forwarded-proto"]).toBe("https");
});

const curl = Bun.which("curl");

/** curl reports the negotiated HTTP version and the response headers; Bun's fetch has no HTTP/2. */
async function curlHead(port: number, host: string, version: "--http1.1" | "--http2"): Promise<{ version: string; headers: string }> {
  const proc = Bun.spawn([curl!, "-sk", version, "-D", "-", "-o", "/dev/null", "-w", "\n%{http_version}", "--resolve", `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const lines = out.trimEnd().split("\n");
  return { version: lines.at(-1)!, headers: lines.slice(0, -1).join("\n").toLowerCase() };
}

test.skipIf(!curl)("HTTPS serves HTTP/1.1 and HTTP/2 (ALPN)", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("web", upstream().addr, "--host=localhost", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  expect((await curlHead(p.server.tls.port, "localhost", "--http1.1")).version).toBe("1.1");
  expect((await curlHead(p.server.tls.port, "localhost", "--http2")).version).toBe("2");
});

test.skipIf(!curl)("Alt-Svc advertises h3 on the HTTPS port only with --http3", async () => {
  const { cert, key } = selfSignedCert();
  const flags = ["--host=localhost", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`];
  const on = await startProxy({ http3: true });
  await on.deploy("web", upstream().addr, ...flags);
  for (const v of ["--http1.1", "--http2"] as const) {
    const { headers } = await curlHead(on.server.tls.port, "localhost", v);
    expect(headers).toMatch(new RegExp(`alt-svc: .*h3.*:${on.server.tls.port}`));
  }
  expect((await on.request("/")).headers.has("alt-svc")).toBe(false);
  // QUIC listens on the HTTPS port's UDP side.
  const bound = await (async () => Bun.udpSocket({ hostname: "127.0.0.1", port: on.server.tls.port }))().then(
    (s) => (s.close(), false),
    () => true,
  );
  expect(bound).toBe(true);
  const off = await startProxy();
  await off.deploy("web", upstream().addr, ...flags);
  expect((await curlHead(off.server.tls.port, "localhost", "--http2")).headers).not.toContain("alt-svc");
  const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: off.server.tls.port });
  udp.close();
});

test("a custom certificate pair is served on the HTTPS listener", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("web", upstream("secure").addr, "--host=localhost", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  const res = await httpsGet(p.server.tls.port, "/", "localhost");
  expect(await res.text()).toBe("secure");
  const log = p.requestLogs().at(-1)!;
  expect(log).toMatchObject({ scheme: "https", proto: "HTTP/1.1" });
});

test("a non-TLS service answers 200 over HTTP and 503 over HTTPS", async () => {
  const p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("secure", upstream().addr, "--host=example.com", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  await p.deploy("plain", upstream("plain").addr, "--host=plain.example.com");
  expect((await p.text("/", { host: "plain.example.com" })).status).toBe(200);
  expect((await httpsGet(p.server.tls.port, "/", "plain.example.com")).status).toBe(503);
});

test("after a restart the restored routes serve: default 200, TLS host 301, https prefix service", async () => {
  let p = await startProxy();
  const { cert, key } = selfSignedCert();
  await p.deploy("default", upstream("default").addr);
  await p.deploy("secure", upstream("secure").addr, "--host=example.com", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`);
  await p.deploy("api", echoUpstream("api").addr, "--host=example.com", "--path-prefix=/api");
  p = await p.restart();
  expect((await p.text("/", { host: "anything.test" })).body).toBe("default");
  expect((await p.text("/", { host: "example.com" })).status).toBe(301);
  const api = await httpsGet(p.server.tls.port, "/api/x", "example.com");
  expect(await api.json()).toMatchObject({ name: "api", path: "/x" });
});

function peerCommonName(port: number, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject?.CN ?? "";
      socket.end();
      resolve(String(cn));
    });
    socket.on("error", reject);
  });
}

test("a handshake without SNI gets the default TLS hostname's certificate; SNI picks per host", async () => {
  const p = await startProxy();
  const first = selfSignedCert(["first.example.com"]);
  const second = selfSignedCert(["second.example.com"]);
  await p.deploy("first", upstream("first").addr, "--host=first.example.com", "--tls", `--tls-certificate-path=${first.cert}`, `--tls-private-key-path=${first.key}`);
  const port = p.server.tls.port;
  await p.deploy("second", upstream("second").addr, "--host=second.example.com", "--tls", `--tls-certificate-path=${second.cert}`, `--tls-private-key-path=${second.key}`);
  // Adding a certificate restarts the listener on the same port.
  expect(p.server.tls.port).toBe(port);
  expect(await peerCommonName(port)).toBe(p.server.router.defaultTlsHostname());
  expect(await peerCommonName(port, "second.example.com")).toBe("second.example.com");
  expect(await peerCommonName(port, "first.example.com")).toBe("first.example.com");
  expect(await (await httpsGet(port, "/", "second.example.com")).text()).toBe("second");
});
