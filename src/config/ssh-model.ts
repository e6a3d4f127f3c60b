/**
 * The `ssh:` section (Kamal's Configuration::Ssh): the one typed form of the connection settings.
 * The SSH pool (with sshkit-model.ts) and the interactive `ssh -t` line both read it.
 */
import { toText } from "./env-model.ts";

import type { Raw } from "./raw.ts";

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
