/**
 * Connection settings resolved per host against ~/.ssh/config. Precedence: the deploy config's
 * ssh section > ~/.ssh/config > defaults (user root, port 22).
 */
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { defaultSshConfigFiles, expandPath, type HostKeyPolicy, loadSshConfig, lookupHost, type SshConfigBlocks } from "./ssh-config.ts";

/**
 * Settings for every connection of a run, in the pool's own terms (milliseconds, resolved key
 * contents). The session fills them from the config's `ssh:`/`sshkit:` sections. Everything is optional.
 */
export interface ConnectionSettings {
  user?: string;
  port?: number;
  /** Jump host(s): `[user@]host[:port]`, comma-separated for a chain (as ProxyJump). */
  proxy?: string;
  /** A command whose stdin/stdout carry the connection (`%h`, `%p`, `%r` expanded). */
  proxyCommand?: string;
  /** Private key files (~ expanded). */
  keys?: string[];
  /** Private keys' contents (OpenSSH or PEM). */
  keyData?: string[];
  /** Use only `keys`/`keyData`: no ssh-agent, no default identity files. */
  keysOnly?: boolean;
  /** true: the default OpenSSH config files; false: none; a list: these files. Default true. */
  config?: boolean | string[];
  forwardAgent?: boolean;
  /** "debug" emits ssh2's debug lines as events. */
  logLevel?: string;
  /** Host key policy when ~/.ssh/config doesn't set StrictHostKeyChecking. Default "yes". */
  strictHostKeyChecking?: HostKeyPolicy;
  /** known_hosts files (first one is appended to by accept-new). Default ~/.ssh/known_hosts, ~/.ssh/known_hosts2. */
  knownHostsFiles?: string[];
  /** Handshake timeout. Default 30 s (or ConnectTimeout from ~/.ssh/config). */
  connectTimeoutMs?: number;
  /** Keepalive interval. Default 30 s. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Simultaneous connection starts (sshkit.max_concurrent_starts). Default 30. */
  maxConcurrentStarts?: number;
  /** Close connections idle this long (sshkit.pool_idle_timeout). Default 900 s. */
  poolIdleTimeoutMs?: number;
  /** Retries of failed DNS resolution (sshkit.dns_retries). Default 3. */
  dnsRetries?: number;
  /** Environment to read HOME, USER and SSH_AUTH_SOCK from. Default process.env. */
  env?: Record<string, string | undefined>;
}

/** Everything needed to open one connection. */
export interface SshTarget {
  /** The host as named in the deploy config (labels, pool key, ~/.ssh/config lookup). */
  host: string;
  /** Where to connect (HostName, or `host`). */
  hostname: string;
  port: number;
  user: string;
  identityFiles: string[];
  keyData: string[];
  agent?: string;
  /** Jump hosts, outermost first. */
  jumps: SshTarget[];
  proxyCommand?: string;
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hashKnownHosts: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  forwardAgent: boolean;
  debug: boolean;
  dnsRetries: number;
}

const DEFAULT_IDENTITIES = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** `[user@]host[:port]` (IPv6 in brackets: `[::1]:22`). */
export function parseHostSpec(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  // ssh://user@host:port URIs, as ProxyJump allows.
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    rest = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      rest = m[1]!;
      port = Number(m[2]);
    }
  }
  return { user: user || undefined, host: rest, port };
}

/** Resolves targets for hosts; reads ~/.ssh/config once. */
export class SshResolver {
  readonly settings: ConnectionSettings;
  readonly home: string;
  private readonly blocks: SshConfigBlocks;
  private readonly env: Record<string, string | undefined>;

  constructor(settings: ConnectionSettings = {}, blocks?: SshConfigBlocks) {
    this.settings = settings;
    this.env = settings.env ?? process.env;
    this.home = this.env.HOME || homedir();
    const files = settings.config === false ? [] : settings.config === undefined || settings.config === true ? defaultSshConfigFiles(this.home) : settings.config.map((f) => expandPath(f, { home: this.home }));
    this.blocks = blocks ?? loadSshConfig(files, this.home);
  }

  /** The target for a host of the deploy config. */
  resolve(host: string): SshTarget {
    const s = this.settings;
    const spec = parseHostSpec(host);
    // As in Kamal, ssh.proxy wins over ssh.proxy_command; either wins over ~/.ssh/config.
    const jumps = s.proxy ? this.resolveJumps(s.proxy, true) : s.proxyCommand ? [] : undefined;
    const proxyCommand = s.proxy ? undefined : s.proxyCommand;
    return this.build(spec.host, { user: spec.user ?? s.user, port: spec.port ?? s.port, jumps, proxyCommand, depth: 0 });
  }

  private resolveJumps(spec: string, kamal: boolean): SshTarget[] {
    if (spec.trim().toLowerCase() === "none") return [];
    return spec.split(",").map((one) => {
      const p = parseHostSpec(one.replace(/^ssh:\/\//, ""));
      // Kamal's ssh.proxy: user defaults to root; a ProxyJump from ~/.ssh/config: as ssh resolves it.
      return this.build(p.host, { user: p.user ?? (kamal ? "root" : undefined), port: p.port, jumps: [], depth: 1 });
    });
  }

  private build(host: string, o: { user?: string; port?: number; jumps?: SshTarget[]; proxyCommand?: string; depth: number }): SshTarget {
    const s = this.settings;
    const c = lookupHost(this.blocks, host);
    const localUser = this.env.USER || safeUserName();
    const user = o.user ?? c.user ?? "root";
    const port = o.port ?? c.port ?? 22;
    const hostname = c.hostName ? expandPath(c.hostName, { home: this.home, host }) : host;
    const ctx = { home: this.home, host: hostname, port, user, localUser };
    const keysOnly = s.keysOnly === true || c.identitiesOnly === true;
    const explicit = (s.keys ?? []).map((k) => expandPath(k, ctx));
    const fromConfig = c.identityFiles.map((k) => expandPath(k, ctx));
    let identityFiles = [...explicit, ...fromConfig];
    if (identityFiles.length === 0 && !(keysOnly && (s.keyData?.length ?? 0) > 0)) {
      identityFiles = DEFAULT_IDENTITIES.map((n) => join(this.home, ".ssh", n));
    }
    const agentSock = agentSocket(c.identityAgent, this.env, ctx);
    let jumps = o.jumps;
    let proxyCommand = o.proxyCommand;
    if (jumps === undefined) {
      if (c.proxyCommand && c.proxyCommand.toLowerCase() !== "none" && !(c.proxyJump && c.proxyJump.toLowerCase() !== "none")) {
        proxyCommand = c.proxyCommand;
        jumps = [];
      } else {
        jumps = c.proxyJump && o.depth < 8 ? this.resolveJumps(c.proxyJump, false) : [];
      }
    }
    const knownHostsFiles = (s.knownHostsFiles ?? c.userKnownHostsFiles ?? ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"]).map((f) => expandPath(f, ctx));
    const globalKnownHostsFiles = (c.globalKnownHostsFiles ?? ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]).map((f) => expandPath(f, ctx));
    return {
      host,
      hostname,
      port,
      user,
      identityFiles,
      keyData: s.keyData ?? [],
      agent: keysOnly || !agentSock ? undefined : agentSock,
      jumps,
      proxyCommand,
      hostKeyPolicy: s.strictHostKeyChecking ?? c.strictHostKeyChecking ?? "yes",
      knownHostsFiles,
      globalKnownHostsFiles,
      hashKnownHosts: c.hashKnownHosts ?? false,
      connectTimeoutMs: s.connectTimeoutMs ?? (c.connectTimeout ? c.connectTimeout * 1000 : 30_000),
      keepaliveIntervalMs: s.keepaliveIntervalMs ?? (c.serverAliveInterval ? c.serverAliveInterval * 1000 : 30_000),
      keepaliveCountMax: s.keepaliveCountMax ?? c.serverAliveCountMax ?? 3,
      forwardAgent: s.forwardAgent ?? c.forwardAgent ?? true,
      debug: (s.logLevel ?? "fatal").toLowerCase() === "debug",
      dnsRetries: s.dnsRetries ?? 3,
    };
  }
}

/** The agent socket: IdentityAgent from ~/.ssh/config ("none", "SSH_AUTH_SOCK", $VAR or a path), else $SSH_AUTH_SOCK. */
function agentSocket(identityAgent: string | undefined, env: Record<string, string | undefined>, ctx: Parameters<typeof expandPath>[1]): string | undefined {
  if (identityAgent === undefined || identityAgent === "SSH_AUTH_SOCK") return env.SSH_AUTH_SOCK || undefined;
  if (identityAgent.toLowerCase() === "none") return undefined;
  if (identityAgent.startsWith("$")) return env[identityAgent.slice(1)] || undefined;
  return expandPath(identityAgent, ctx);
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}
