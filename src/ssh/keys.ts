/**
 * Authentication material for a target: private key files, inline key data and the ssh-agent,
 * turned into ssh2 auth attempts (explicit keys first, then the agent).
 */
import { readFileSync } from "node:fs";
import { type AuthenticationType, type ParsedKey, utils } from "ssh2";
import { SextantError } from "../errors.ts";
import type { SshTarget } from "./options.ts";

interface LoadedKey {
  source: string;
  key: ParsedKey;
}

export interface AuthPlan {
  keys: LoadedKey[];
  agent?: string;
  /** Keys skipped, with why (encrypted without an agent, unreadable, unparsable). */
  skipped: string[];
}

/** Parse a private key (OpenSSH or PEM); an Error when it isn't one or needs a passphrase. */
function parsePrivateKey(data: string | Buffer, source: string): ParsedKey | Error {
  const parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    return /encrypted|passphrase/i.test(parsed.message) ? new Error(`${source} is encrypted (load it into ssh-agent: ssh-add ${source})`) : new Error(`${source}: ${parsed.message}`);
  }
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
  if (!key?.isPrivateKey()) return new Error(`${source} is not a private key`);
  return key;
}

/**
 * Load the keys for a target. Missing default identity files are skipped silently; a key given
 * inline (key_data) that doesn't parse is an error.
 */
export function planAuth(target: SshTarget): AuthPlan {
  const keys: LoadedKey[] = [];
  const skipped: string[] = [];
  for (const [i, data] of target.keyData.entries()) {
    const key = parsePrivateKey(data, `ssh.key_data[${i}]`);
    if (key instanceof Error) throw new SextantError(`Invalid SSH key: ${key.message}`, { hint: "ssh.key_data entries must be private keys in OpenSSH or PEM format, without a passphrase." });
    keys.push({ source: `ssh.key_data[${i}]`, key });
  }
  for (const file of target.identityFiles) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") skipped.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    const key = parsePrivateKey(data, file);
    if (key instanceof Error) skipped.push(key.message);
    else if (!keys.some((k) => k.key.equals(key))) keys.push({ source: file, key });
  }
  return { keys, agent: target.agent, skipped };
}

/** ssh2's authHandler list for a plan. */
export function authMethods(plan: AuthPlan, username: string): { type: AuthenticationType; username: string; key?: ParsedKey; agent?: string }[] {
  const methods: { type: AuthenticationType; username: string; key?: ParsedKey; agent?: string }[] = plan.keys.map((k) => ({ type: "publickey", username, key: k.key }));
  if (plan.agent) methods.push({ type: "agent", username, agent: plan.agent });
  return methods;
}
