/** A throw-away self-signed certificate (openssl) for the HTTPS listener tests. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function selfSignedCert(hosts: string[] = ["example.com", "www.example.com", "localhost"]): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "proxy-cert-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const san = hosts.map((h) => `DNS:${h}`).join(",");
  const r = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    `/CN=${hosts[0]}`,
    "-addext",
    `subjectAltName=${san}`,
  ]);
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  return { cert, key };
}

export function httpsGet(port: number, path: string, host: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("host", host);
  return fetch(`https://127.0.0.1:${port}${path}`, { ...init, headers, redirect: "manual", tls: { rejectUnauthorized: false } } as RequestInit);
}
