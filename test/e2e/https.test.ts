/**
 * Automatic HTTPS end to end: `sextant setup` of an app with `proxy: { ssl: true, host: NAME }` on a
 * bed host gets a certificate from Pebble (started on the bed's bridge, its DNS answering NAME with
 * the host's address) through real HTTP-01 validation against the proxy on port 80. HTTPS then
 * verifies against Pebble's root (HTTP/2 included), plain HTTP is redirected, a proxy restart serves
 * the cached certificate without a new order, and the short-lived certificate is renewed while
 * requests keep succeeding. A second app deploys a custom certificate from secrets (key file 0600).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isolateCache, ok, page, registryYml, SECRETS, SSH_YML } from "../support/ops.ts";
import { type Pebble, startPebble } from "../support/pebble.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, run, runOk, type Testbed, testbed } from "../support/testbed.ts";

const bed = testbed();
const [acmeHost, customHost] = bed.hosts as [string, string];
const bridge = acmeHost.replace(/\.\d+$/, ".1");
const ACME_NAME = "autossl.test";
const CUSTOM_NAME = "customssl.test";
const ON_DEMAND_NAME = "ondemand.test";
const CERT_LIFETIME_S = 45;
const CA_IN_PROXY = "/home/kamal-proxy/.apps-config/acme-test-ca.pem";

let pebble: Pebble;
let root = "";
let work: string;
const projects: Project[] = [];

function deployYml(b: Testbed, service: string, host: string, proxy: string): string {
  return `
service: ${service}
image: e2e/${service}
servers:
  web:
    hosts:
      - ${host}
proxy:
  app_port: 80
${proxy}
  healthcheck:
    path: /up
    interval: 1
${registryYml(b)}builder:
  arch: amd64
${SSH_YML}deploy_timeout: 10
drain_timeout: 1
readiness_delay: 0
`;
}

/** curl over HTTPS to a bed host for NAME, verifying against `caFile`: "<status> <http version> <body>". */
async function curlHttps(host: string, name: string, caFile: string): Promise<string> {
  const r = await run(["curl", "-sS", "--max-time", "5", "--cacert", caFile, "--resolve", `${name}:443:${host}`, "-w", "\n%{http_code} %{http_version}", `https://${name}/`], { timeoutMs: 10_000 });
  if (r.code !== 0) return `curl error ${r.code}: ${r.stderr.trim()}`;
  const cut = r.stdout.lastIndexOf("\n");
  return `${r.stdout.slice(cut + 1)} ${r.stdout.slice(0, cut).trim()}`;
}

/** The serial number of the certificate a host presents for NAME. */
async function servedSerial(host: string, name: string): Promise<string> {
  const r = await run(["sh", "-c", `openssl s_client -connect ${host}:443 -servername ${name} </dev/null 2>/dev/null | openssl x509 -noout -serial`], { timeoutMs: 10_000 });
  return r.stdout.trim();
}

async function until<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await fn().catch((e) => e);
    if (last && !(last instanceof Error)) return last as T;
    await Bun.sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
}

const issuedCount = () => (pebble.log().match(/Issued certificate serial/g) ?? []).length;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sextant-https-"));
  pebble = await startPebble({ address: bridge, httpPort: 80, tlsPort: 443, certificateValiditySeconds: CERT_LIFETIME_S });
  await pebble.addA(ACME_NAME, acmeHost);
  await pebble.addA(ON_DEMAND_NAME, acmeHost);
  root = await pebble.rootPem();
  writeFileSync(join(work, "pebble-root.pem"), root);
  // The proxy trusts Pebble's API certificate through a file in the apps-config volume, and a proxy
  // left by another test would not have the ACME settings: start from none.
  await onHost(bed, acmeHost, `docker rm -f kamal-proxy >/dev/null 2>&1; mkdir -p .kamal/proxy/apps-config && cat > .kamal/proxy/apps-config/acme-test-ca.pem`, { stdin: pebble.apiCaPem });
}, 60_000);

afterAll(async () => {
  for (const project of projects) {
    await project.sextant(["remove", "-y"]).catch(() => undefined);
    project.cleanup();
  }
  await onHost(bed, acmeHost, "docker rm -f kamal-proxy >/dev/null 2>&1; rm -f .kamal/proxy/apps-config/acme-test-ca.pem").catch(() => undefined);
  await pebble?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("proxy.ssl: true with Pebble", () => {
  let project: Project;

  test("setup gets a certificate through HTTP-01; HTTPS verifies (HTTP/2), HTTP redirects", async () => {
    const proxy = [
      `  host: ${ACME_NAME}`,
      "  ssl: true",
      "  run:",
      "    options:",
      "      env:",
      `        - KAMAL_PROXY_TLS_ACME_DIRECTORY=${pebble.directoryUrl}`,
      `        - KAMAL_PROXY_TLS_ACME_CA=${CA_IN_PROXY}`,
    ].join("\n");
    project = await makeProject(bed, { "config/deploy.yml": deployYml(bed, "autossl", acmeHost, proxy), ".kamal/secrets": SECRETS });
    isolateCache(project, bed);
    projects.push(project);
    project.write("www/index.html", page("autossl", "1"));
    await project.commit("1");
    const started = Date.now();
    ok(await project.sextant(["setup"]));
    const body = await until(
      async () => {
        const r = await curlHttps(acmeHost, ACME_NAME, join(work, "pebble-root.pem"));
        return r.startsWith("200 ") ? r : undefined;
      },
      30_000,
      "HTTPS with Pebble's certificate",
    );
    console.log(`setup + certificate: ${Date.now() - started} ms`);
    expect(body).toMatch(/^200 2 .*autossl <b id="version">1</);
    expect(issuedCount()).toBe(1);

    const plain = await fetch(`http://${acmeHost}/some/path?q=1`, { headers: { host: ACME_NAME }, redirect: "manual" });
    expect(plain.status).toBe(301);
    expect(plain.headers.get("location")).toBe(`https://${ACME_NAME}/some/path?q=1`);

    const logs = (await onHost(bed, acmeHost, "docker logs kamal-proxy 2>&1")).stdout;
    expect(logs).toContain('"msg":"Certificate obtained"');
    expect(logs).toMatch(/acme-challenge.*LetsEncrypt-Pebble-VA|Pebble-VA.*acme-challenge/);
  }, 240_000);

  test("a proxy restart serves the cached certificate without contacting Pebble", async () => {
    const before = await servedSerial(acmeHost, ACME_NAME);
    expect(before).toMatch(/^serial=/);
    const issued = issuedCount();
    ok(await onHost(bed, acmeHost, "docker restart kamal-proxy"));
    const after = await until(
      async () => {
        const s = await servedSerial(acmeHost, ACME_NAME);
        return s ? s : undefined;
      },
      15_000,
      "HTTPS after the restart",
    );
    expect(after).toBe(before);
    expect(await curlHttps(acmeHost, ACME_NAME, join(work, "pebble-root.pem"))).toMatch(/^200 /);
    expect(issuedCount()).toBe(issued);
    const all = (await onHost(bed, acmeHost, "docker logs kamal-proxy 2>&1")).stdout;
    const logs = all.slice(all.lastIndexOf('"msg":"Server stopped"'));
    expect(logs).toContain('"msg":"Loaded cached certificate"');
    expect(logs).not.toContain('"msg":"Requesting certificate"');
  }, 60_000);

  test(`the ${CERT_LIFETIME_S} s certificate is renewed while requests keep succeeding`, async () => {
    const first = await servedSerial(acmeHost, ACME_NAME);
    const statuses: Record<string, number> = {};
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const res = await fetch(`https://${acmeHost}/`, { headers: { host: ACME_NAME }, tls: { ca: root, serverName: ACME_NAME }, signal: AbortSignal.timeout(5000) } as RequestInit);
          await res.text();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        } catch (e) {
          statuses[(e as Error).message] = (statuses[(e as Error).message] ?? 0) + 1;
        }
        await Bun.sleep(25);
      }
    };
    const workers = [worker(), worker()];
    let renewed: string;
    try {
      renewed = await until(
        async () => {
          const s = await servedSerial(acmeHost, ACME_NAME);
          return s && s !== first ? s : undefined;
        },
        CERT_LIFETIME_S * 1000 + 10_000,
        "a renewed certificate",
      );
      await Bun.sleep(1000);
    } catch (e) {
      console.log((await onHost(bed, acmeHost, 'docker logs kamal-proxy 2>&1 | grep -v \'"msg":"Request"\'')).stdout);
      throw e;
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    console.log("requests during renewal", statuses);
    expect(renewed).not.toBe(first);
    expect(Object.keys(statuses)).toEqual(["200"]);
    expect(statuses["200"]!).toBeGreaterThan(20);
  }, 90_000);
});

describe("proxy.tls_on_demand_url", () => {
  test("a service without hosts gets a certificate for a name the app allows, on that name's first request", async () => {
    const proxy = [
      "  ssl: true",
      "  tls_on_demand_url: /allowed",
      "  run:",
      "    options:",
      "      env:",
      `        - KAMAL_PROXY_TLS_ACME_DIRECTORY=${pebble.directoryUrl}`,
      `        - KAMAL_PROXY_TLS_ACME_CA=${CA_IN_PROXY}`,
    ].join("\n");
    const project = await makeProject(bed, { "config/deploy.yml": deployYml(bed, "ondemand", acmeHost, proxy), ".kamal/secrets": SECRETS });
    isolateCache(project, bed);
    projects.push(project);
    project.write("www/index.html", page("ondemand", "1"));
    project.write("www/allowed", "yes\n");
    await project.commit("1");
    const result = await project.sextant(["setup", "-v"]);
    ok(result);
    expect(result.stdout).toContain('--tls --deploy-timeout="10s"');
    expect(result.stdout).toContain('--tls-on-demand-url="/allowed"');
    const issued = issuedCount();
    await fetch(`http://${acmeHost}/`, { headers: { host: ON_DEMAND_NAME }, redirect: "manual" }).then((r) => r.arrayBuffer());
    const body = await until(
      async () => {
        const r = await curlHttps(acmeHost, ON_DEMAND_NAME, join(work, "pebble-root.pem"));
        return r.startsWith("200 ") ? r : undefined;
      },
      30_000,
      "HTTPS for the on-demand name",
    );
    expect(body).toMatch(/ondemand <b id="version">1</);
    expect(issuedCount()).toBe(issued + 1);
  }, 240_000);
});

describe("proxy.ssl with a custom certificate from secrets", () => {
  test("the certificate is uploaded (key 0600) and served", async () => {
    const dir = join(work, "custom");
    await runOk(["mkdir", "-p", dir]);
    await runOk([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "2",
      "-subj",
      `/CN=${CUSTOM_NAME}`,
      "-addext",
      `subjectAltName=DNS:${CUSTOM_NAME}`,
    ]);
    const proxy = [`  host: ${CUSTOM_NAME}`, "  ssl:", "    certificate_pem: CUSTOM_CERT_PEM", "    private_key_pem: CUSTOM_KEY_PEM"].join("\n");
    const project = await makeProject(bed, {
      "config/deploy.yml": deployYml(bed, "customssl", customHost, proxy),
      ".kamal/secrets": `${SECRETS}CUSTOM_CERT_PEM=$TEST_CERT_PEM\nCUSTOM_KEY_PEM=$TEST_KEY_PEM\n`,
    });
    isolateCache(project, bed);
    projects.push(project);
    project.write("www/index.html", page("customssl", "1"));
    await project.commit("1");
    const key = readFileSync(join(dir, "key.pem"), "utf8");
    const result = await project.sextant(["setup"], { env: { TEST_CERT_PEM: readFileSync(join(dir, "cert.pem"), "utf8"), TEST_KEY_PEM: key } });
    ok(result);
    expect(result.stdout + result.stderr).not.toContain(key.split("\n")[1]!);
    expect(result.stdout + result.stderr).toContain(`Writing SSL certificates for web on ${customHost}`);

    const files = (await onHost(bed, customHost, "stat -c '%n %a %u' .kamal/proxy/apps-config/customssl/tls/web/cert.pem .kamal/proxy/apps-config/customssl/tls/web/key.pem")).stdout.trim().split("\n");
    expect(files).toEqual([".kamal/proxy/apps-config/customssl/tls/web/cert.pem 600 1000", ".kamal/proxy/apps-config/customssl/tls/web/key.pem 600 1000"]);
    const deployLine = (await onHost(bed, customHost, 'docker logs kamal-proxy 2>&1 | grep \'"msg":"Deployed"\' | tail -1')).stdout;
    expect(deployLine).toContain('"tls":true');

    expect(await curlHttps(customHost, CUSTOM_NAME, join(dir, "cert.pem"))).toMatch(/^200 2 .*customssl <b id="version">1</);
    const plain = await fetch(`http://${customHost}/`, { headers: { host: CUSTOM_NAME }, redirect: "manual" });
    expect(plain.status).toBe(301);
  }, 240_000);
});
