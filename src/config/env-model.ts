/**
 * Environment variables: clear values (on the docker command line) and secret keys (in the env
 * file, values from the secrets files). Merging root -> role -> host tags: clear values of later
 * layers win, secret keys are unioned in order. `ENV_NAME:SECRET_NAME` reads a secret under
 * another name.
 */
import { isHash } from "./schema/common.ts";
import type { Secret, Secrets } from "./secrets.ts";

export interface EnvSpec {
  clear: Record<string, string>;
  /** As written: `NAME` or `ENV_NAME:SECRET_NAME`. */
  secretKeys: string[];
}

export interface SecretEnvEntry {
  /** Variable name inside the container. */
  name: string;
  /** Name looked up in the secrets files. */
  secret: string;
}

export function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value);
}

/** Parse an env section (simple or clear/secret form). `tags` are handled by the caller. */
export function envSpec(raw: unknown): EnvSpec {
  if (!isHash(raw)) return { clear: {}, secretKeys: [] };
  const complex = "clear" in raw || "secret" in raw || "tags" in raw;
  const clearRaw = complex ? raw.clear : raw;
  const clear: Record<string, string> = {};
  if (isHash(clearRaw)) for (const [k, v] of Object.entries(clearRaw)) clear[k] = toText(v);
  const secretKeys = complex && Array.isArray(raw.secret) ? raw.secret.map(toText) : [];
  return { clear, secretKeys };
}

export function mergeEnv(base: EnvSpec, over: EnvSpec): EnvSpec {
  const secretKeys = [...base.secretKeys];
  for (const key of over.secretKeys) if (!secretKeys.includes(key)) secretKeys.push(key);
  return { clear: { ...base.clear, ...over.clear }, secretKeys };
}

function secretEntry(key: string): SecretEnvEntry {
  const i = key.indexOf(":");
  return i === -1 ? { name: key, secret: key } : { name: key.slice(0, i), secret: key.slice(i + 1) };
}

/** The env of one container (a role on a host, or an accessory). */
export class ContainerEnv {
  readonly clear: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** Host tags applied (roles only), in order. */
  readonly tags: readonly string[];
  private readonly secrets: Secrets;

  constructor(spec: EnvSpec, secrets: Secrets, tags: readonly string[] = []) {
    this.clear = spec.clear;
    this.secretKeys = spec.secretKeys;
    this.tags = tags;
    this.secrets = secrets;
  }

  get secretEntries(): SecretEnvEntry[] {
    return this.secretKeys.map(secretEntry);
  }

  /** Secret values by container variable name. Loads the secrets files (lazily, once). */
  secretValues(): Record<string, Secret> {
    const out: Record<string, Secret> = {};
    for (const entry of this.secretEntries) out[entry.name] = this.secrets.get(entry.secret);
    return out;
  }

  /** The env file uploaded to the server (Kamal's format: KEY=value lines, escaped). */
  envFileContent(): string {
    const lines = Object.entries(this.secretValues()).map(([k, s]) => `${k}=${escapeEnvFileValue(s.reveal())}\n`);
    const text = lines.join("");
    return text === "" ? "\n" : text;
  }
}

/** Docker env files are literal: escape like Ruby's dump (minus the quotes), keep " and # and non-ASCII. */
export function escapeEnvFileValue(value: string): string {
  const parts = value.match(/[\x00-\x7F]+|[^\x00-\x7F]+/g) ?? [];
  return parts
    .map((part) => {
      if (!/^[\x00-\x7F]*$/.test(part)) return part;
      let out = "";
      for (let i = 0; i < part.length; i++) {
        const ch = part[i]!;
        const code = ch.charCodeAt(0);
        const named: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\x07": "\\a", "\x1b": "\\e" };
        if (named[ch]) out += named[ch];
        else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
        else out += ch;
      }
      return out;
    })
    .join("");
}
