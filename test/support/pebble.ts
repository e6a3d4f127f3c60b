/**
 * Pebble, the ACME test server (Debian package `pebble`), started by a test and stopped by it:
 * pebble itself plus pebble-challtestsrv as its DNS server, all bound to one address (127.0.0.1 for
 * proxy tests, the test bed's bridge address for end-to-end tests). Pebble's API certificate is
 * made here with openssl (the package ships none), so clients trust `apiCaPem`; the certificates
 * Pebble issues chain to `rootPem()`, which changes at every start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

export interface PebbleOptions {
  /** Address every listener binds (and the API certificate names). */
  address: string;
  /** Port of the hosts Pebble validates HTTP-01 challenges against. */
  httpPort: number;
  /** Port of TLS-ALPN-01 validation. */
  tlsPort?: number;
  /** Lifetime of issued certificates, in seconds (Pebble's default is five years). */
  certificateValiditySeconds?: number;
  /** Address the DNS server answers for names without an A record. */
  defaultIPv4?: string;
  /** Require external account binding with these key ids and HMAC keys. */
  eabKeys?: Record<string, string>;
}

export interface Pebble {
  directoryUrl: string;
  /** The CA that signed Pebble's own API certificate (trust it to talk ACME to Pebble). */
  apiCaPem: string;
  apiCaPath: string;
  /** Pebble's issuing root, for clients of the sites it certified. */
  rootPem(): Promise<string>;
  /** Answer `host` with these addresses in Pebble's DNS. */
  addA(host: string, address: string): Promise<void>;
  /** Lines Pebble printed (validation attempts, issued certificates). */
  log(): string;
  stop(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const child = spawn("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${err}`);
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${ms} ms`);
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "sextant-pebble-"));
  const { address } = options;
  const [acmePort, mgmtPort, dnsPort, chalMgmtPort] = [await freePort(address), await freePort(address), await freePort(address), await freePort(address)];
  await openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sextant test pebble API CA"]);
  await openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "api.key", "-out", "api.csr", "-subj", "/CN=pebble"]);
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=IP:${address},IP:127.0.0.1,DNS:localhost,DNS:pebble\n`);
  await openssl(dir, ["x509", "-req", "-in", "api.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "api.pem", "-days", "2", "-extfile", "ext.cnf"]);
  const config = {
    pebble: {
      listenAddress: `${address}:${acmePort}`,
      managementListenAddress: `${address}:${mgmtPort}`,
      certificate: join(dir, "api.pem"),
      privateKey: join(dir, "api.key"),
      httpPort: options.httpPort,
      tlsPort: options.tlsPort ?? 443,
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      ...(options.certificateValiditySeconds ? { certificateValidityPeriod: options.certificateValiditySeconds } : {}),
      ...(options.eabKeys ? { externalAccountBindingRequired: true, externalAccountMACKeys: options.eabKeys } : {}),
    },
  };
  writeFileSync(join(dir, "pebble.json"), JSON.stringify(config));
  const apiCaPem = readFileSync(join(dir, "ca.pem"), "utf8");
  let output = "";
  const children: ChildProcess[] = [];
  const start = (argv: string[], env: Record<string, string> = {}) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    children.push(child);
    return child;
  };
  start([
    "pebble-challtestsrv",
    "-dns01",
    `${address}:${dnsPort}`,
    "-http01",
    "",
    "-https01",
    "",
    "-tlsalpn01",
    "",
    "-management",
    `${address}:${chalMgmtPort}`,
    "-defaultIPv4",
    options.defaultIPv4 ?? address,
    "-defaultIPv6",
    "",
  ]);
  start(["pebble", "-config", join(dir, "pebble.json"), "-dnsserver", `${address}:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
    PEBBLE_AUTHZREUSE: "0",
  });
  const tls = { ca: apiCaPem } as const;
  const pebble: Pebble = {
    directoryUrl: `https://${address}:${acmePort}/dir`,
    apiCaPem,
    apiCaPath: join(dir, "ca.pem"),
    async rootPem() {
      const res = await fetch(`https://${address}:${mgmtPort}/roots/0`, { tls });
      if (!res.ok) throw new Error(`pebble roots: ${res.status}`);
      return res.text();
    },
    async addA(host, addr) {
      const res = await fetch(`http://${address}:${chalMgmtPort}/add-a`, {
        method: "POST",
        body: JSON.stringify({ host: host.endsWith(".") ? host : `${host}.`, addresses: [addr] }),
      });
      if (!res.ok) throw new Error(`challtestsrv add-a: ${res.status}`);
    },
    log: () => output,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("close", () => resolve());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 3000).unref();
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await fetch(`http://${address}:${chalMgmtPort}/`)).status > 0, "pebble-challtestsrv");
    await waitFor(async () => (await fetch(pebble.directoryUrl, { tls })).ok, "pebble");
  } catch (e) {
    await pebble.stop();
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  return pebble;
}
