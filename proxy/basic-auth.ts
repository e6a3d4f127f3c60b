/**
 * HTTP Basic authentication for a service (`deploy --basic-auth user:password`, as kamal-proxy's
 * pull request #216 proposes, or `--basic-auth-file PATH` so the password never appears on a
 * command line). Only the username and the password's SHA-256 are kept — in the service options
 * and so in the state file — and both are compared in constant time.
 */
import { readFileSync } from "node:fs";

export interface BasicAuth {
  username: string;
  /** Hex SHA-256 of the password. */
  password_sha256: string;
}

// Bun's hasher rather than node:crypto, which costs ~6 MB of idle RSS once loaded.
const sha256 = (text: string): Buffer => new Bun.CryptoHasher("sha256").update(text, "utf8").digest() as Buffer;

/** `user:password` → the stored form; the password may contain colons, the username may not. */
export function parseCredentials(text: string, from: string): BasicAuth {
  const value = text.replace(/\r?\n$/, "");
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1) throw new Error(`${from} must be username:password`);
  return { username: value.slice(0, colon), password_sha256: sha256(value.slice(colon + 1)).toString("hex") };
}

/** From the deploy flags: at most one of `--basic-auth` and `--basic-auth-file`. */
export function basicAuthFromFlags(inline: string, file: string): BasicAuth | null {
  if (inline && file) throw new Error("use either --basic-auth or --basic-auth-file, not both");
  if (inline) return parseCredentials(inline, "basic-auth");
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`unable to read basic-auth-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseCredentials(text, "basic-auth-file");
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  // Digests have a fixed length, and every byte is compared whatever differs, so the time does not
  // depend on where two inputs first differ.
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when the Authorization header carries this service's credentials. */
export function authorized(auth: BasicAuth, header: string | null): boolean {
  if (!header || !/^basic /i.test(header)) return false;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = equal(sha256(decoded.slice(0, colon)), sha256(auth.username));
  const passwordOk = equal(sha256(decoded.slice(colon + 1)), Buffer.from(auth.password_sha256, "hex"));
  return userOk && passwordOk;
}

/** Valid as stored (the state file is read back at start). */
export function isBasicAuth(value: unknown): value is BasicAuth {
  const v = value as BasicAuth;
  return typeof v === "object" && v !== null && typeof v.username === "string" && /^[0-9a-f]{64}$/.test(String(v.password_sha256));
}
