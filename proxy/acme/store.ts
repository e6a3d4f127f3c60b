/**
 * The ACME cache on disk, in the layout of Go's autocert (which kamal-proxy uses), so a server taken
 * over from kamal-proxy keeps its certificates: `<cache path>/<sha256 hex of the directory URL>/`
 * holds `acme_account+key` (the account's private key, PEM) and one file per host name with the
 * private key followed by the certificate chain (PEM). Let's Encrypt production is hashed as the
 * empty string, as kamal-proxy stores it. Files are 0600 in 0700 directories.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface StoredCertificate {
  /** The private key, PEM. */
  key: string;
  /** Leaf first, then intermediates, PEM. */
  cert: string;
  notBefore: number;
  notAfter: number;
  names: string[];
}

/** The cache directory of one ACME directory URL. */
export function cacheDirectory(cachePath: string, directoryUrl: string): string {
  const key = directoryUrl === LETS_ENCRYPT_PRODUCTION ? "" : directoryUrl;
  // Bun's hasher rather than node:crypto, which costs ~6 MB of idle RSS once loaded.
  return join(cachePath, new Bun.CryptoHasher("sha256").update(key).digest("hex"));
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----\n?/g;

/** Split an autocert-style file into its key and certificate chain. */
export function parseBundle(text: string): { key: string; cert: string } | undefined {
  let key = "";
  let cert = "";
  for (const m of text.matchAll(PEM_BLOCK)) {
    const block = m[0].endsWith("\n") ? m[0] : `${m[0]}\n`;
    if (m[1]!.includes("PRIVATE KEY")) key ||= block;
    else if (m[1] === "CERTIFICATE") cert += block;
  }
  return key && cert ? { key, cert } : undefined;
}

/** Validity and names of the leaf certificate of a PEM chain. */
function describeCertificate(certPem: string): { notBefore: number; notAfter: number; names: string[] } {
  // Loaded on first use (only proxies with certificates get here): node:crypto costs ~6 MB of RSS.
  const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
  const leaf = new X509Certificate(certPem);
  const names = (leaf.subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4).toLowerCase());
  return { notBefore: Date.parse(leaf.validFrom), notAfter: Date.parse(leaf.validTo), names };
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export class AcmeStore {
  constructor(readonly dir: string) {}

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  readAccountKey(): string | undefined {
    try {
      return readFileSync(join(this.dir, "acme_account+key"), "utf8");
    } catch {
      return undefined;
    }
  }

  writeAccountKey(pem: string): void {
    this.ensureDir();
    writePrivate(join(this.dir, "acme_account+key"), pem);
  }

  /** The cached certificate of `host`, if the file exists and parses. */
  readCertificate(host: string): StoredCertificate | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, host), "utf8");
    } catch {
      return undefined;
    }
    const bundle = parseBundle(text);
    if (!bundle) return undefined;
    try {
      return { ...bundle, ...describeCertificate(bundle.cert) };
    } catch {
      return undefined;
    }
  }

  writeCertificate(host: string, key: string, cert: string): StoredCertificate {
    this.ensureDir();
    const k = key.endsWith("\n") ? key : `${key}\n`;
    writePrivate(join(this.dir, host), k + cert);
    return { key: k, cert, ...describeCertificate(cert) };
  }
}
