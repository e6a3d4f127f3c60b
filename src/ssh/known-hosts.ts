/**
 * known_hosts files as OpenSSH reads and writes them: plain and hashed (`|1|salt|hmac`) host
 * names, `[host]:port` for non-standard ports, wildcard and negated patterns, @revoked markers
 * (@cert-authority lines are ignored), and SHA256 fingerprints printed the way ssh does.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { knownHostsName } from "./errors.ts";
import { hostPatternsMatch } from "./ssh-config.ts";

export { knownHostsName };

export interface KnownHostEntry {
  marker?: "revoked" | "cert-authority";
  /** Host patterns as written (plain patterns or one hashed `|1|...` name each). */
  hosts: string[];
  keyType: string;
  key: Buffer;
  file: string;
  line: number;
}

/** `SHA256:<base64 without padding>` of a public key blob, as ssh-keygen -l and ssh print it. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (e.g. "ssh-ed25519"). */
export function keyTypeOfBlob(blob: Uint8Array): string {
  if (blob.length < 4) return "unknown";
  const len = ((blob[0]! << 24) | (blob[1]! << 16) | (blob[2]! << 8) | blob[3]!) >>> 0;
  if (len > 64 || 4 + len > blob.length) return "unknown";
  return Buffer.from(blob.subarray(4, 4 + len)).toString("latin1");
}

/** Parse one known_hosts file's text. Malformed lines are skipped. */
export function parseKnownHosts(text: string, file = "known_hosts"): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (parts[0]!.startsWith("@")) {
      const m = parts.shift()!;
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else continue;
    }
    const [hosts, keyType, b64] = parts;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    out.push({ marker, hosts: hosts.split(","), keyType, key: Buffer.from(b64, "base64"), file, line: i + 1 });
  }
  return out;
}

/** A hashed host name (`|1|base64 salt|base64 HMAC-SHA1(salt, name)`), as with HashKnownHosts yes. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac("sha1", salt).update(name).digest("base64");
  return `|1|${salt.toString("base64")}|${mac}`;
}

function hashedMatches(hashed: string, name: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hashed);
  if (!m) return false;
  return hashHostName(name, Buffer.from(m[1]!, "base64")) === hashed;
}

/** Whether an entry's host list names `host` on `port`. */
export function entryMatches(hosts: readonly string[], host: string, port: number): boolean {
  const name = knownHostsName(host.toLowerCase(), port);
  const hashed = hosts.filter((h) => h.startsWith("|"));
  if (hashed.some((h) => hashedMatches(h, name))) return true;
  const plain = hosts.filter((h) => !h.startsWith("|"));
  return plain.length > 0 && hostPatternsMatch(plain, name);
}

export type HostKeyCheck = { status: "known"; entry: KnownHostEntry } | { status: "unknown" } | { status: "mismatch"; entries: KnownHostEntry[] } | { status: "revoked"; entry: KnownHostEntry };

/** Read the entries of several files (missing files count as empty). */
export function readKnownHosts(files: readonly string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    out.push(...parseKnownHosts(text, file));
  }
  return out;
}

/**
 * Check a host key blob against known_hosts entries. Like OpenSSH: a key listed for the host is
 * known; a host listed only with other keys of the same type has changed its key; a host listed
 * with keys of other types only (or not at all) is unknown.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Uint8Array): HostKeyCheck {
  const key = Buffer.from(blob);
  for (const e of entries) {
    if (e.marker === "revoked" && e.key.equals(key)) return { status: "revoked", entry: e };
  }
  const forHost = entries.filter((e) => e.marker === undefined && entryMatches(e.hosts, host, port));
  const same = forHost.find((e) => e.key.equals(key));
  if (same) return { status: "known", entry: same };
  const type = keyTypeOfBlob(blob);
  const sameType = forHost.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { status: "mismatch", entries: sameType };
  return { status: "unknown" };
}

/** Key types known for a host, in file order (to prefer them when negotiating, as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker === undefined && entryMatches(e.hosts, host, port) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** The known_hosts line for a host key. */
function knownHostsLine(host: string, port: number, blob: Uint8Array, options: { hash?: boolean } = {}): string {
  const name = knownHostsName(host.toLowerCase(), port);
  return `${options.hash ? hashHostName(name) : name} ${keyTypeOfBlob(blob)} ${Buffer.from(blob).toString("base64")}`;
}

/** Append a host key to a known_hosts file (creating its directory 0700 and the file 0600). */
export function appendKnownHost(file: string, host: string, port: number, blob: Uint8Array, options: { hash?: boolean } = {}): string {
  const line = knownHostsLine(host, port, blob, options);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const existing = readFileSync(file, "utf8");
    if (existing.length > 0 && !existing.endsWith("\n")) prefix = "\n";
  } catch {
    // new file
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o600 });
  return line;
}

/** The host key algorithms ssh2 negotiates for a key type. */
export function algorithmsForKeyType(type: string): string[] {
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}
