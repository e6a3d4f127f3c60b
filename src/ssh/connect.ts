/**
 * Opening one authenticated SSH connection: a TCP socket (with DNS retries and a connect
 * timeout), a channel through jump hosts, or a ProxyCommand's stdio; then the handshake with the
 * host key checked against known_hosts, and key/agent authentication.
 */
import { spawn } from "node:child_process";
import { diffieHellman, generateKeyPairSync } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP, Socket } from "node:net";
import { Duplex } from "node:stream";
import { type Algorithms, Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { type HostLabel, knownHostsName, SshConnectError, SshHostKeyError } from "./errors.ts";
import { emit, type SshObserver } from "./events.ts";
import { authMethods, planAuth } from "./keys.ts";
import { algorithmsForKeyType, appendKnownHost, checkHostKey, fingerprint, keyTypeOfBlob, knownKeyTypes, readKnownHosts } from "./known-hosts.ts";
import type { SshTarget } from "./options.ts";
import { shellQuote } from "./shell-quote.ts";

export interface ConnectOptions extends SshObserver {
  signal?: AbortSignal;
  /** Shares connections to jump hosts between targets (a pool passes one). */
  jumpCache?: JumpCache;
}

/** An open connection and how to close it (with any jump connections it owns). */
export interface SshSession {
  client: Client;
  target: SshTarget;
  /** Close the connection (and jump hosts not shared through a cache). */
  end(): void;
  /** Resolves when the connection has closed, with why. */
  closed: Promise<string>;
}

/** Jump host connections shared by the targets behind them. */
export class JumpCache {
  private readonly clients = new Map<string, Promise<Client>>();

  get(key: string, open: () => Promise<Client>): Promise<Client> {
    let p = this.clients.get(key);
    if (!p) {
      p = open();
      this.clients.set(key, p);
      p.then(
        (c) => c.once("close", () => this.clients.get(key) === p && this.clients.delete(key)),
        () => this.clients.get(key) === p && this.clients.delete(key),
      );
    }
    return p;
  }

  /** Close every jump connection. */
  async closeAll(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (c) => c.end(),
          () => {},
        ),
      ),
    );
  }
}

const curve25519Supported = (() => {
  try {
    return typeof diffieHellman === "function" && !!generateKeyPairSync("x25519");
  } catch {
    return false;
  }
})();

function label(t: SshTarget): HostLabel {
  return { host: t.host, user: t.user, port: t.port };
}

function describe(t: SshTarget): string {
  return `${t.user}@${t.hostname}${t.port === 22 ? "" : `:${t.port}`}`;
}

/** ssh2 algorithm preferences: curve25519 key exchange first; host key types known for the host first. */
function algorithmsFor(knownTypes: readonly string[]): Algorithms {
  const algorithms: Algorithms = {};
  if (curve25519Supported) algorithms.kex = { remove: ["curve25519-sha256"], prepend: ["curve25519-sha256"] } as Algorithms["kex"];
  const supported = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  const preferred = knownTypes.flatMap(algorithmsForKeyType).filter((a) => supported.includes(a));
  if (preferred.length > 0) algorithms.serverHostKey = { remove: preferred, prepend: preferred } as unknown as Algorithms["serverHostKey"];
  return algorithms;
}

/** Connect and authenticate to a target, through its jump hosts or proxy command. */
export async function connect(target: SshTarget, options: ConnectOptions = {}): Promise<SshSession> {
  const started = performance.now();
  const via = target.proxyCommand ? `proxy command` : target.jumps.length > 0 ? target.jumps.map(describe).join(" → ") : undefined;
  emit(options, { type: "connect", host: target.host, user: target.user, port: target.port, via });
  const owned: Client[] = [];
  let sock: Duplex | undefined;
  let stderrOf: (() => string) | undefined;
  try {
    if (target.proxyCommand) {
      const p = proxyCommandSocket(target);
      sock = p.socket;
      stderrOf = p.stderr;
    } else if (target.jumps.length > 0) {
      let through: Client | undefined;
      for (let i = 0; i < target.jumps.length; i++) {
        const jump = target.jumps[i]!;
        const previous = through;
        const open = async () => {
          const s = previous ? await forwardOut(previous, jump, target) : await tcpSocket(jump, options.signal);
          return handshake(jump, s, options, target);
        };
        const key = target.jumps
          .slice(0, i + 1)
          .map(describe)
          .join(",");
        through = options.jumpCache ? await options.jumpCache.get(key, open) : await open();
        if (!options.jumpCache) owned.push(through);
      }
      sock = await forwardOut(through!, target, target);
    } else {
      sock = await tcpSocket(target, options.signal);
    }
    const client = await handshake(target, sock, options, target, stderrOf);
    emit(options, { type: "connected", host: target.host, ms: Math.round(performance.now() - started) });
    const closed = new Promise<string>((resolve) => {
      let reason = "closed";
      client.on("error", (e) => {
        reason = e.message;
        emit(options, { type: "disconnect", host: target.host, reason: e.message });
      });
      client.once("close", () => {
        for (const c of owned) c.end();
        resolve(reason);
      });
    });
    return { client, target, end: () => client.end(), closed };
  } catch (e) {
    sock?.destroy();
    for (const c of owned) c.end();
    throw e;
  }
}

/** A TCP connection to the target, resolving its name with retries (sshkit.dns_retries). */
async function tcpSocket(target: SshTarget, signal?: AbortSignal): Promise<Socket> {
  let address = target.hostname;
  if (isIP(address) === 0) {
    for (let attempt = 0; ; attempt++) {
      try {
        address = (await lookup(target.hostname)).address;
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt >= target.dnsRetries || !(code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ESERVFAIL")) {
          throw new SshConnectError(label(target), "dns", `can't resolve ${target.hostname} (${code ?? (e as Error).message})`, { cause: e });
        }
        const delay = Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
  return new Promise<Socket>((resolve, reject) => {
    const socket = new Socket();
    const fail = (err: SshConnectError) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new SshConnectError(label(target), "connect", "cancelled"));
    const timer = setTimeout(() => fail(new SshConnectError(label(target), "timeout", `no answer from ${address}:${target.port} within ${seconds(target.connectTimeoutMs)}`)), target.connectTimeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", (e: NodeJS.ErrnoException) => fail(socketError(target, address, e)));
    socket.connect({ host: address, port: target.port }, () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

function socketError(target: SshTarget, address: string, e: NodeJS.ErrnoException): SshConnectError {
  const where = `${address}:${target.port}`;
  switch (e.code) {
    case "ECONNREFUSED":
      return new SshConnectError(label(target), "connect", `connection refused by ${where} (is sshd running on port ${target.port}?)`, { cause: e });
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
      return new SshConnectError(label(target), "connect", `${where} is unreachable (${e.code})`, { cause: e });
    case "ETIMEDOUT":
      return new SshConnectError(label(target), "timeout", `connecting to ${where} timed out`, { cause: e });
    default:
      return new SshConnectError(label(target), "connect", `${where}: ${e.message}`, { cause: e });
  }
}

/** A channel from a jump host to the next hop. */
function forwardOut(via: Client, next: SshTarget, final: SshTarget): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    via.forwardOut("127.0.0.1", 0, next.hostname, next.port, (err, channel) => {
      if (err) {
        reject(
          new SshConnectError(label(final), "proxy", `the jump host could not open a connection to ${next.hostname}:${next.port} (${err.message})`, {
            cause: err,
            hint: `Check that the jump host can reach ${next.hostname}:${next.port} and that its sshd allows TCP forwarding (AllowTcpForwarding).`,
          }),
        );
      } else resolve(channel);
    });
  });
}

/** Expand %h %p %r %% in a ProxyCommand (as OpenSSH and Kamal's proxy_command do). */
export function expandProxyCommand(command: string, target: { hostname: string; port: number; user: string }): string {
  return command.replace(/%([%hpr])/g, (_, t: string) => (t === "%" ? "%" : t === "h" ? shellQuote(target.hostname) : t === "p" ? String(target.port) : shellQuote(target.user)));
}

/** A duplex stream over a spawned ProxyCommand's stdin/stdout. */
function proxyCommandSocket(target: SshTarget): { socket: Duplex; stderr: () => string } {
  const command = expandProxyCommand(target.proxyCommand!, target);
  const child = spawn("/bin/sh", ["-c", `exec ${command}`], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-2000);
  });
  const socket = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk, _enc, cb) {
      child.stdin.write(chunk, cb);
    },
    final(cb) {
      child.stdin.end();
      cb();
    },
    destroy(err, cb) {
      child.kill();
      cb(err);
    },
  });
  child.stdout.on("data", (d: Buffer) => {
    if (!socket.push(d)) child.stdout.pause();
  });
  child.stdout.on("end", () => socket.push(null));
  child.stdin.on("error", () => {});
  child.on("error", (e) => socket.destroy(e));
  child.on("exit", () => {
    // let ssh2 see EOF; buffered stdout is delivered first
    setTimeout(() => socket.destroy(), 50).unref?.();
  });
  return { socket, stderr: () => stderr.trim() };
}

/** Run the SSH handshake and authentication over a connected stream. */
function handshake(target: SshTarget, sock: Duplex, options: ConnectOptions, final: SshTarget, proxyStderr?: () => string): Promise<Client> {
  const files = [...target.knownHostsFiles, ...target.globalKnownHostsFiles];
  const entries = readKnownHosts(files);
  let plan: ReturnType<typeof planAuth>;
  try {
    plan = planAuth(target);
  } catch (e) {
    sock.destroy();
    return Promise.reject(e);
  }
  for (const s of plan.skipped) emit(options, { type: "warning", host: target.host, message: `skipping SSH key ${s}` });
  const methods = authMethods(plan, target.user);
  if (methods.length === 0) {
    sock.destroy();
    const tried = target.identityFiles.length > 0 ? `none of ${target.identityFiles.join(", ")} exists` : "no keys configured";
    return Promise.reject(
      new SshConnectError(label(target), "auth", `no SSH key to log in with: ${tried}, and no ssh-agent (SSH_AUTH_SOCK)${plan.skipped.length ? `; skipped: ${plan.skipped.join("; ")}` : ""}`, {
        hint: "Set ssh.keys or ssh.key_data in the deploy config, or start ssh-agent and ssh-add your key.",
      }),
    );
  }
  const isJump = target !== final;
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let hostKeyError: Error | undefined;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener("abort", onAbort);
      if (err) {
        client.end();
        sock.destroy();
        reject(err);
      } else resolve(client);
    };
    const onAbort = () => settle(new SshConnectError(label(target), "connect", "cancelled"));
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const hostVerifier = (blob: Buffer): boolean => {
      const check = checkHostKey(entries, target.hostname, target.port, blob);
      const keyType = keyTypeOfBlob(blob);
      const fp = fingerprint(blob);
      if (check.status === "known") return true;
      if (check.status === "revoked") {
        hostKeyError = new SshConnectError(label(target), "host-key", `the host key ${keyType} ${fp} is marked @revoked in ${check.entry.file}:${check.entry.line}`);
        return false;
      }
      const trustCommand = `ssh-keyscan -t ${keyType.replace(/^ssh-/, "").replace(/^ecdsa-sha2-.*/, "ecdsa")}${target.port === 22 ? "" : ` -p ${target.port}`} ${target.hostname} >> ${displayPath(target.knownHostsFiles[0] ?? "~/.ssh/known_hosts")}`;
      if (check.status === "mismatch") {
        hostKeyError = new SshHostKeyError(label(target), { fingerprint: fp, keyType, mismatch: true, knownHostsFiles: check.entries.map((e) => `${e.file}:${e.line}`), trustCommand });
        return false;
      }
      if (target.hostKeyPolicy === "accept-new" || target.hostKeyPolicy === "no") {
        const file = target.knownHostsFiles[0];
        if (file) {
          try {
            appendKnownHost(file, target.hostname, target.port, blob, { hash: target.hashKnownHosts });
            emit(options, { type: "host-key-added", host: target.host, keyType, fingerprint: fp, file });
          } catch (e) {
            emit(options, { type: "warning", host: target.host, message: `couldn't add the host key to ${file}: ${(e as Error).message}` });
          }
        }
        return true;
      }
      hostKeyError = new SshHostKeyError(label(target), {
        fingerprint: fp,
        keyType,
        mismatch: false,
        knownHostsFiles: target.knownHostsFiles.map(displayPath),
        trustCommand: `${trustCommand}  (or set StrictHostKeyChecking accept-new for ${knownHostsName(target.hostname, target.port)} in ~/.ssh/config)`,
      });
      return false;
    };

    client.once("ready", () => settle());
    client.once("error", (e: Error & { level?: string; code?: string }) => {
      if (hostKeyError) return settle(hostKeyError);
      settle(handshakeError(target, e, plan, proxyStderr?.(), isJump));
    });
    client.once("close", () => {
      if (hostKeyError) return settle(hostKeyError);
      const extra = proxyStderr?.();
      settle(new SshConnectError(label(target), target.proxyCommand ? "proxy" : "closed", `the connection closed during the handshake${extra ? `: ${extra}` : ""}`));
    });

    const config: ConnectConfig = {
      sock,
      host: target.hostname,
      port: target.port,
      username: target.user,
      authHandler: methods as ConnectConfig["authHandler"],
      hostVerifier,
      keepaliveInterval: target.keepaliveIntervalMs,
      keepaliveCountMax: target.keepaliveCountMax,
      readyTimeout: target.connectTimeoutMs,
      algorithms: algorithmsFor(knownKeyTypes(entries, target.hostname, target.port)),
      agent: plan.agent,
      agentForward: target.forwardAgent && !!plan.agent && !isJump,
      debug: target.debug ? (message: string) => emit(options, { type: "debug", host: target.host, message }) : undefined,
    };
    try {
      client.connect(config);
    } catch (e) {
      settle(new SshConnectError(label(target), "connect", (e as Error).message, { cause: e }));
    }
  });
}

function handshakeError(target: SshTarget, e: Error & { level?: string; code?: string }, plan: ReturnType<typeof planAuth>, proxyStderr: string | undefined, isJump: boolean): SshConnectError {
  const jump = isJump ? "jump host: " : "";
  switch (e.level) {
    case "client-authentication": {
      const tried = [...plan.keys.map((k) => k.source), ...(plan.agent ? ["ssh-agent"] : [])].join(", ");
      return new SshConnectError(label(target), "auth", `${jump}authentication failed for ${target.user} (tried ${tried})`, { cause: e });
    }
    case "client-timeout":
      return new SshConnectError(label(target), "timeout", `${jump}no SSH handshake within ${seconds(target.connectTimeoutMs)}`, { cause: e });
    case "client-socket":
      if (e.code) return socketError(target, target.hostname, e as NodeJS.ErrnoException);
      break;
  }
  const detail = proxyStderr ? `the proxy command failed: ${proxyStderr}` : e.message;
  return new SshConnectError(label(target), target.proxyCommand ? "proxy" : "connect", `${jump}${detail}`, { cause: e });
}

function seconds(ms: number): string {
  return `${ms >= 10_000 ? Math.round(ms / 1000) : Math.round(ms / 100) / 10} s`;
}

/** ~ for the home directory in paths shown to the user. */
function displayPath(path: string): string {
  const home = process.env.HOME;
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
