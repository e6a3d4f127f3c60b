/**
 * The `ssh:` and `sshkit:` sections (Kamal's Configuration::Ssh and ::Sshkit): the one typed form
 * of the connection settings. The SSH pool and the interactive `ssh -t` line both read these.
 */
import { toText } from "./env-model.ts";

type Raw = Record<string, unknown>;

export interface SshSettings {
  user: string;
  port: number;
  /** `jump` gets Kamal's `root@` when written without a user; a jump host wins over a command. */
  proxy?: { jump: string } | { command: string };
  logLevel: string;
  keysOnly?: boolean;
  keys?: string[];
  /** Secret names holding private keys (or, deprecated, PEM text written inline). */
  keyData?: string[];
  /** true = default OpenSSH config files, false = none, list = these files. */
  config: boolean | string[];
  forwardAgent?: boolean;
  keepalive: true;
  keepaliveInterval: number;
}

export interface SshkitSettings {
  maxConcurrentStarts: number;
  /** Seconds. */
  poolIdleTimeout: number;
  dnsRetries: number;
  raw: Raw;
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : toText(value);
}

export function sshSettings(raw: Raw): SshSettings {
  const proxy = text(raw.proxy);
  const proxyCommand = text(raw.proxy_command);
  const config = raw.config;
  return {
    user: text(raw.user) ?? "root",
    port: raw.port === undefined ? 22 : Number(raw.port),
    proxy: proxy !== undefined ? { jump: proxy.includes("@") ? proxy : `root@${proxy}` } : proxyCommand !== undefined ? { command: proxyCommand } : undefined,
    logLevel: text(raw.log_level)?.replace(/^:/, "") ?? "fatal",
    keysOnly: typeof raw.keys_only === "boolean" ? raw.keys_only : undefined,
    keys: Array.isArray(raw.keys) ? raw.keys.map(toText) : undefined,
    keyData: Array.isArray(raw.key_data) ? raw.key_data.map(toText) : undefined,
    config: typeof config === "boolean" ? config : Array.isArray(config) ? config.map(toText) : config === undefined ? true : [toText(config)],
    forwardAgent: typeof raw.forward_agent === "boolean" ? raw.forward_agent : undefined,
    keepalive: true,
    keepaliveInterval: 30,
  };
}

export function sshkitSettings(raw: Raw): SshkitSettings {
  const n = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  return { maxConcurrentStarts: n(raw.max_concurrent_starts, 30), poolIdleTimeout: n(raw.pool_idle_timeout, 900), dnsRetries: n(raw.dns_retries, 3), raw };
}
