/**
 * Automatic certificates against a real ACME server: Pebble on 127.0.0.1 validates HTTP-01 challenges
 * on the proxy's HTTP port. Issuance, HTTPS with the issued certificate, the cache across a restart,
 * renewal of short-lived certificates under load, on-demand TLS, and the cache layout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { renewalTime } from "../../proxy/acme/renewal.ts";
import { cacheDirectory, LETS_ENCRYPT_PRODUCTION, parseBundle } from "../../proxy/acme/store.ts";
import { runProxyCli } from "../../proxy/cli/main.ts";
import { dataDir, stateFilePath } from "../../proxy/paths.ts";
import { ProxyServer } from "../../proxy/server.ts";
import { fileStateStore } from "../../proxy/state.ts";
import { freePort } from "../support/free-port.ts";
import { type Pebble, startPebble } from "../support/pebble.ts";
import { waitFor } from "../support/wait.ts";
import { cleanupScope, FAST, upstream } from "./helpers.ts";
import { selfSignedCert } from "./tls-helpers.ts";

cleanupScope();

const hasPebble = !!Bun.which("pebble") && !!Bun.which("pebble-challtestsrv");

interface Proxy {
  server: ProxyServer;
  logs: string[];
  dir: string;
  cli(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

async function startProxy(dir: string, httpPort: number, pebble: Pebble, extra: { retryBaseMs?: number; eab?: { kid: string; hmacKey: string } } = {}): Promise<Proxy> {
  const env = { HOME: join(dir, "home"), KAMAL_PROXY_SOCKET: join(dir, "proxy.sock"), TMPDIR: dir };
  const data = dataDir(env);
  const logs: string[] = [];
  const server = new ProxyServer({
    httpPort,
    httpsPort: 0,
    metricsPort: 0,
    socketPath: env.KAMAL_PROXY_SOCKET,
    state: fileStateStore(stateFilePath(data)),
    hostname: "127.0.0.1",
    logWrite: (l) => logs.push(l),
    acme: { directory: pebble.directoryUrl, cachePath: join(data, "certs"), caPem: pebble.apiCaPem, eab: extra.eab, retryBaseMs: extra.retryBaseMs ?? 500 },
  });
  await server.start();
  return {
    server,
    logs,
    dir,
    async cli(...args) {
      let out = "";
      let err = "";
      const code = await runProxyCli(args, "kamal-proxy", { out: (t) => (out += t), err: (t) => (err += t) }, env);
      return { code, out, err };
    },
    stop: () => server.stop(),
  };
}

async function until<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = fn();
    if (v) return v;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** HTTPS to the proxy, verifying the certificate for `host` against Pebble's root. */
function httpsVerified(p: Proxy, host: string, root: string, path = "/"): Promise<Response> {
  return fetch(`https://127.0.0.1:${p.server.tls.port}${path}`, {
    headers: { host },
    redirect: "manual",
    tls: { ca: root, serverName: host },
  } as RequestInit);
}

const servedSerial = (p: Proxy, host: string) => {
  const cert = p.server.acme.certificate(host);
  return cert ? new X509Certificate(cert.cert).serialNumber : undefined;
};

describe.skipIf(!hasPebble)("ACME with Pebble", () => {
  let pebble: Pebble;
  let httpPort: number;
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "proxy-acme-"));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    httpPort = await freePort();
    pebble = await startPebble({ address: "127.0.0.1", httpPort });
  });
  afterAll(async () => {
    await pebble?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("HTTP-01: a certificate from Pebble, HTTPS verified against its root, HTTP redirected; a restart serves the cache", async () => {
    const dir = tempDir();
    const app = upstream("acme-app");
    let p = await startProxy(dir, httpPort, pebble);
    try {
      const started = performance.now();
      const r = await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=site1.test", "--tls");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      await until(() => p.server.acme.certificate("site1.test"), 20_000, "the certificate");
      console.log(`issued in ${Math.round(performance.now() - started)} ms`);
      const root = await pebble.rootPem();
      const secure = await httpsVerified(p, "site1.test", root);
      expect(secure.status).toBe(200);
      expect(await secure.text()).toBe("acme-app");
      const plain = await fetch(`http://127.0.0.1:${httpPort}/x?y=1`, { headers: { host: "site1.test" }, redirect: "manual" });
      expect(plain.status).toBe(301);
      expect(plain.headers.get("location")).toBe("https://site1.test/x?y=1");
      expect(p.logs.some((l) => l.includes('"Certificate obtained"'))).toBe(true);

      // Cache: <data>/certs/<sha256 of the directory URL>/{acme_account+key,site1.test}, 0600.
      const cache = cacheDirectory(join(dir, "home/.config/kamal-proxy/certs"), pebble.directoryUrl);
      expect(readdirSync(cache).sort()).toEqual(["acme_account+key", "site1.test"]);
      expect(statSync(join(cache, "site1.test")).mode & 0o777).toBe(0o600);
      const serial = servedSerial(p, "site1.test");

      // Restart: the cached certificate serves at once, and nothing is ordered.
      await p.stop();
      const issuedBefore = (pebble.log().match(/Issued certificate serial/g) ?? []).length;
      p = await startProxy(dir, httpPort, pebble);
      expect(servedSerial(p, "site1.test")).toBe(serial!);
      const again = await httpsVerified(p, "site1.test", root);
      expect(again.status).toBe(200);
      // A window for an order the restart should not place; nothing is expected to happen in it.
      await Bun.sleep(500);
      expect(p.logs.some((l) => l.includes('"Loaded cached certificate"'))).toBe(true);
      expect(p.logs.some((l) => l.includes('"Requesting certificate"') || l.includes('"Renewing certificate"'))).toBe(false);
      expect((pebble.log().match(/Issued certificate serial/g) ?? []).length).toBe(issuedBefore);
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 60_000);

  test("SNI picks each host's certificate; a handshake without SNI gets the first TLS host's", async () => {
    const dir = tempDir();
    const app = upstream("sni-app");
    const p = await startProxy(dir, httpPort, pebble);
    const peerNames = (servername?: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: p.server.tls.port, servername, rejectUnauthorized: false }, () => {
          resolve(socket.getPeerCertificate().subjectaltname ?? "");
          socket.end();
        });
        socket.on("error", reject);
      });
    try {
      expect((await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=one.test,two.test", "--tls")).code).toBe(0);
      await until(() => p.server.acme.certificate("one.test") && p.server.acme.certificate("two.test"), 20_000, "both certificates");
      // The HTTPS listener picks up new certificates just after the manager holds them.
      await waitFor(async () => (await peerNames("one.test")) === "DNS:one.test" && (await peerNames("two.test")) === "DNS:two.test", "the HTTPS listener serving both certificates");
      expect(await peerNames(undefined)).toBe("DNS:one.test");
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 40_000);

  test("a failing order is retried with exponential backoff", async () => {
    const dir = tempDir();
    const app = upstream("nope");
    // Pebble resolves every name to 127.0.0.1, but this proxy's HTTP port is not the one Pebble checks.
    const otherPort = await freePort();
    const p = await startProxy(dir, otherPort, pebble, { retryBaseMs: 300 });
    try {
      expect((await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=fail.test", "--tls")).code).toBe(0);
      const failures = () => p.logs.filter((l) => l.includes('"Unable to obtain certificate"')).map((l) => JSON.parse(l));
      await until(() => failures().length >= 2, 20_000, "two failed attempts");
      const [first, second] = failures();
      expect(first.retry_in_ms).toBe(300);
      expect(second.retry_in_ms).toBe(600);
      expect(p.server.acme.certificate("fail.test")).toBeUndefined();
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 40_000);

  test("on-demand TLS: the policy URL allows or denies, the first HTTP request orders the certificate", async () => {
    const dir = tempDir();
    const app = upstream("od-app");
    const policy = upstream("policy", (req) => {
      const host = new URL(req.url).searchParams.get("host");
      return new Response(host === "ok.test" ? "yes" : "no", { status: host === "ok.test" ? 200 : 403 });
    });
    const p = await startProxy(dir, httpPort, pebble);
    try {
      const r = await p.cli("deploy", "od", `--target=${app.addr}`, ...FAST, "--tls", `--tls-on-demand-url=http://${policy.addr}/allow?token=x`);
      expect(r.err).toBe("");
      const first = await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { host: "ok.test" }, redirect: "manual" });
      expect(first.status).toBe(301);
      expect(p.server.acme.certificate("ok.test")).toBeDefined();
      const secure = await httpsVerified(p, "ok.test", await pebble.rootPem());
      expect(await secure.text()).toBe("od-app");
      expect(policy.requests.at(-1)!.url).toContain("/allow?host=ok.test&token=x");

      const denied = await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { host: "no.test" }, redirect: "manual" });
      expect(denied.status).toBe(301);
      expect(p.server.acme.certificate("no.test")).toBeUndefined();
      const warn = p.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "TLS on-demand check denied host");
      expect(warn).toMatchObject({ host: "no.test", status: 403, body: "no" });
    } finally {
      await p.stop();
      app.server.stop(true);
      policy.server.stop(true);
    }
  }, 40_000);
  test("on-demand TLS: an HTTPS handshake for a new allowed host gets its certificate, ordered during the handshake", async () => {
    const dir = tempDir();
    const app = upstream("od-tls-app");
    const policy = upstream("policy", (req) => new Response(null, { status: new URL(req.url).searchParams.get("host") === "first.test" ? 200 : 403 }));
    const p = await startProxy(dir, httpPort, pebble);
    try {
      // A custom certificate for another host opens the HTTPS port (on-demand hosts have none yet).
      const { cert, key } = selfSignedCert(["other.test"]);
      expect((await p.cli("deploy", "other", `--target=${app.addr}`, ...FAST, "--host=other.test", "--tls", `--tls-certificate-path=${cert}`, `--tls-private-key-path=${key}`)).code).toBe(0);
      expect((await p.cli("deploy", "od", `--target=${app.addr}`, ...FAST, "--tls", `--tls-on-demand-url=http://${policy.addr}/allow`)).err).toBe("");
      expect(p.server.acme.certificate("first.test")).toBeUndefined();
      // No plain-HTTP request first: the handshake itself waits for the certificate, which verifies.
      const secure = await httpsVerified(p, "first.test", await pebble.rootPem());
      expect([secure.status, await secure.text()]).toEqual([200, "od-tls-app"]);
      expect(p.server.acme.certificate("first.test")).toBeDefined();
      // A host the policy refuses gets no order, and the handshake goes on with the default certificate.
      await expect(httpsVerified(p, "refused.test", await pebble.rootPem())).rejects.toThrow();
      expect(p.server.acme.certificate("refused.test")).toBeUndefined();
    } finally {
      await p.stop();
      app.server.stop(true);
      policy.server.stop(true);
    }
  }, 60_000);
  test("on-demand TLS with a path: the app itself answers whether a host may have a certificate", async () => {
    const dir = tempDir();
    const app = upstream("od-path-app", (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/up") return new Response("ok");
      if (url.pathname === "/tls-allowed") return new Response(null, { status: url.searchParams.get("host") === "app.test" ? 200 : 404 });
      return new Response("od-path-app");
    });
    const p = await startProxy(dir, httpPort, pebble);
    try {
      expect((await p.cli("deploy", "odp", `--target=${app.addr}`, ...FAST, "--tls", "--tls-on-demand-url=/tls-allowed")).err).toBe("");
      await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { host: "app.test" }, redirect: "manual" });
      expect(p.server.acme.certificate("app.test")).toBeDefined();
      const asked = app.requests.find((r) => r.url.includes("/tls-allowed"))!;
      expect(asked.url).toEndWith("/tls-allowed?host=app.test");
      expect(asked.headers.get("host")).toBe("app.test");
      await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { host: "other.test" }, redirect: "manual" });
      expect(p.server.acme.certificate("other.test")).toBeUndefined();
      expect(p.logs.some((l) => l.includes("TLS on-demand check denied host") && l.includes("other.test"))).toBe(true);
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 40_000);
});

describe.skipIf(!hasPebble)("ACME renewal with short-lived certificates", () => {
  let pebble: Pebble;
  let httpPort: number;
  let dir: string;
  beforeAll(async () => {
    httpPort = await freePort();
    pebble = await startPebble({ address: "127.0.0.1", httpPort, certificateValiditySeconds: 12 });
    dir = mkdtempSync(join(tmpdir(), "proxy-acme-renew-"));
  });
  afterAll(async () => {
    await pebble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("renews before expiry and keeps serving: no failed request under load", async () => {
    const app = upstream("renew-app");
    const p = await startProxy(dir, httpPort, pebble);
    try {
      expect((await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=renew.test", "--tls")).code).toBe(0);
      const firstCert = await until(() => p.server.acme.certificate("renew.test"), 20_000, "the first certificate");
      const first = servedSerial(p, "renew.test");
      const lifetime = firstCert.notAfter - firstCert.notBefore;
      expect(renewalTime(firstCert)).toBe(firstCert.notAfter - lifetime / 3);
      const root = await pebble.rootPem();
      const statuses: Record<string, number> = {};
      const seen = new Set<string>();
      let stop = false;
      const worker = async () => {
        while (!stop) {
          try {
            const res = await httpsVerified(p, "renew.test", root);
            await res.text();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          } catch (e) {
            statuses[(e as Error).name] = (statuses[(e as Error).name] ?? 0) + 1;
          }
          const s = servedSerial(p, "renew.test");
          if (s) seen.add(s);
          await Bun.sleep(20);
        }
      };
      const workers = [worker(), worker()];
      // Two renewals: the first at two thirds of the lifetime, the next one a lifetime later.
      await until(() => seen.size >= 3 || undefined, 30_000, "two renewals");
      stop = true;
      await Promise.all(workers);
      console.log("renewal load", statuses, [...seen].length, "certificates");
      expect(Object.keys(statuses)).toEqual(["200"]);
      expect(seen.has(first!)).toBe(true);
      expect(p.logs.filter((l) => l.includes('"Renewing certificate"')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 60_000);
});

describe.skipIf(!hasPebble)("ACME with external account binding", () => {
  const eab = { kid: "kid-1", hmacKey: "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W" };
  let pebble: Pebble;
  let httpPort: number;
  let dir: string;
  beforeAll(async () => {
    httpPort = await freePort();
    pebble = await startPebble({ address: "127.0.0.1", httpPort, eabKeys: { [eab.kid]: eab.hmacKey } });
    dir = mkdtempSync(join(tmpdir(), "proxy-acme-eab-"));
  });
  afterAll(async () => {
    await pebble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a CA that requires EAB refuses an account without it, and issues with --tls-acme-eab-kid/--tls-acme-eab-hmac-key", async () => {
    const app = upstream("eab-app");
    let p = await startProxy(join(dir, "without"), httpPort, pebble, { retryBaseMs: 60_000 });
    try {
      expect((await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=eab.test", "--tls")).code).toBe(0);
      const failure = await until(() => p.logs.find((l) => l.includes('"Unable to obtain certificate"')), 10_000, "the refusal");
      expect(failure).toContain("externalAccountBinding");
      await p.stop();
      p = await startProxy(join(dir, "with"), httpPort, pebble, { eab });
      expect((await p.cli("deploy", "web", `--target=${app.addr}`, ...FAST, "--host=eab.test", "--tls")).code).toBe(0);
      await until(() => p.server.acme.certificate("eab.test"), 20_000, "the certificate");
    } finally {
      await p.stop();
      app.server.stop(true);
    }
  }, 40_000);
});

test("cache layout: autocert's directory hash (Let's Encrypt production as the empty string) and key+chain files", () => {
  expect(cacheDirectory("/c", LETS_ENCRYPT_PRODUCTION)).toBe(`/c/${createHash("sha256").update("").digest("hex")}`);
  expect(cacheDirectory("/c", "https://x/dir")).toBe(`/c/${createHash("sha256").update("https://x/dir").digest("hex")}`);
  const key = "-----BEGIN EC PRIVATE KEY-----\nAAA\n-----END EC PRIVATE KEY-----\n";
  const cert = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nCCC\n-----END CERTIFICATE-----\n";
  expect(parseBundle(key + cert)).toEqual({ key, cert });
  expect(parseBundle(cert)).toBeUndefined();
  expect(renewalTime({ notBefore: 0, notAfter: 90 * 86_400_000 })).toBe(60 * 86_400_000);
  expect(renewalTime({ notBefore: 0, notAfter: 9_000 })).toBe(6_000);
});

test("deploy flags: --tls-acme-directory sets the service's directory; it excludes --tls-staging", async () => {
  const env = { HOME: mkdtempSync(join(tmpdir(), "proxy-acme-flags-")), KAMAL_PROXY_SOCKET: "/nonexistent/sock" };
  let err = "";
  const code = await runProxyCli(["deploy", "web", "--target=a:80", "--host=a.test", "--tls", "--tls-staging", "--tls-acme-directory=https://ca/dir"], "kamal-proxy", { out: () => {}, err: (t) => (err += t) }, env);
  expect(code).toBe(1);
  expect(err).toContain("tls-staging tls-acme-directory");
  rmSync(env.HOME, { recursive: true, force: true });
});
