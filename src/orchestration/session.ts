/**
 * One run of a command against the servers: the configuration, the SSH pool (one connection per
 * host, reused by every step), the reporter and secret redaction. Orchestration code asks the
 * session to run things on hosts; the session times them and tells the reporter, and runs the
 * pre-connect step once before the first command reaches a server.
 */
import type { SextantConfig } from "../config/model.ts";
import { redact as redactSecrets, type Secret } from "../config/secrets.ts";
import type { OutputEvent, Reporter } from "../output/events.ts";
import { type ConnectionSettings, type ExecOptions, type ExecResult, forEachHost, type HostConnection, SshCommandError, SshConnectError, type SshEvent, SshPool } from "../ssh/index.ts";

export interface SessionOptions {
  config: SextantConfig;
  reporter: Reporter;
  /** Extra SSH settings (tests, --ssh-option style overrides). */
  sshOverrides?: ConnectionSettings;
  /**
   * Where commands go. Default: real SSH connections. Orchestration tests pass a recording pool
   * that answers with scripted output and remembers every command per host.
   */
  pool?: HostPool;
  /** Runs once, before the first command reaches a server (the run's pre-connect hook). */
  beforeFirstConnection?: () => Promise<void>;
}

/** What the session needs of a connection pool (SshPool is the real one). */
export type HostPool = Pick<SshPool, "get" | "closeAll">;

/** A command for a host: the text sent, and the text shown (secrets removed). */

export class Session {
  readonly config: SextantConfig;
  readonly reporter: Reporter;
  readonly pool: HostPool;
  private readonly knownSecrets = new Set<Secret>();
  private readonly firstConnection: () => Promise<void>;
  private connecting?: Promise<void>;

  constructor(options: SessionOptions) {
    this.config = options.config;
    this.reporter = options.reporter;
    this.pool = options.pool ?? this.sshPool(options);
    this.firstConnection = options.beforeFirstConnection ?? (() => Promise.resolve());
  }

  /**
   * The pre-connect step, once per run (Kamal fires its pre-connect hook around its first `on`).
   * Every path to a server passes here; hosts working in parallel share the one promise, so the
   * hook runs once and all of them wait for it. A build calls it too, before a remote builder or
   * the pre-build hook may need what the hook sets up (as Kamal's `build push` does).
   */
  beforeFirstConnection(): Promise<void> {
    return (this.connecting ??= this.firstConnection());
  }

  private sshPool(options: SessionOptions): SshPool {
    const keys = options.config.sshKeyData();
    this.protect(keys);
    const settings = { ...connectionSettings(options.config, keys), ...options.sshOverrides };
    return new SshPool(settings, {
      redact: (text) => this.redact(text),
      onEvent: (event) => this.onSshEvent(event),
    });
  }

  /** A secret's value, remembered so that it is redacted from everything shown. */
  secret(name: string): Secret {
    const secret = this.config.secrets.get(name);
    this.knownSecrets.add(secret);
    return secret;
  }

  /** Remember secret values that will be used, so they are hidden from output. */
  protect(secrets: Iterable<Secret>): void {
    for (const s of secrets) this.knownSecrets.add(s);
  }

  redact(text: string): string {
    return this.knownSecrets.size === 0 ? text : redactSecrets(text, this.knownSecrets);
  }

  emit(event: OutputEvent): void {
    this.reporter.emit(event);
  }

  private onSshEvent(event: SshEvent): void {
    if (event.type === "exec") this.emit({ type: "command", host: event.host, command: event.command });
    else if (event.type === "exit") this.emit({ type: "command-done", host: event.host, command: event.command, ms: event.ms, code: event.code });
    else if (event.type === "warning") this.emit({ type: "warn", message: `${event.host}: ${event.message}` });
    else if (event.type === "host-key-added") {
      this.emit({ type: "info", message: `${event.host}: trusted new host key ${event.keyType} ${event.fingerprint} (added to ${event.file})` });
    }
  }

  /** Run a shell command on a host, streaming its output to the reporter (shown with -v). */
  async exec(host: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const ssh = await this.connection(host);
    return ssh.exec(command, {
      ...options,
      onStdout: (text) => {
        options.onStdout?.(text);
        this.emit({ type: "output", host, stream: "stdout", text: this.redact(text) });
      },
      onStderr: (text) => {
        options.onStderr?.(text);
        this.emit({ type: "output", host, stream: "stderr", text: this.redact(text) });
      },
    });
  }

  /**
   * Run an idempotent command (a pull, a check, a tag), running it again when the connection to
   * the host was lost under it: the pool reconnects, and a network blip or a dropped SSH session
   * costs a retry instead of the deploy. Steps that are not safe to repeat (starting a container,
   * switching the proxy) use `exec` and fail the host instead.
   */
  async execIdempotent(host: string, command: string, what: string, options: ExecOptions & { attempts?: number; pauseMs?: number } = {}): Promise<ExecResult> {
    const attempts = options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exec(host, command, options);
      } catch (error) {
        if (attempt >= attempts || !connectionLost(error)) throw error;
        this.emit({ type: "warn", message: `${host}: the connection was lost during ${what}; reconnecting and running it again (${attempt}/${attempts - 1})` });
        await new Promise((r) => setTimeout(r, (options.pauseMs ?? 1000) * attempt));
      }
    }
  }

  /** Run a command and return its trimmed stdout. */
  async capture(host: string, command: string, options: ExecOptions = {}): Promise<string> {
    return (await this.exec(host, command, options)).stdout.trim();
  }

  /** Run a command whose failure is expected and harmless (Kamal's "ignore failure" commands). */
  async tryExec(host: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(host, command, { ...options, allowFailure: true });
  }

  async connection(host: string): Promise<HostConnection> {
    await this.beforeFirstConnection();
    return this.pool.get(host);
  }

  /** A titled step: announces it, times it, reports how it ended. */
  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.emit({ type: "step", title });
    const started = performance.now();
    try {
      const result = await fn();
      this.emit({ type: "step-done", title, ms: performance.now() - started, ok: true });
      return result;
    } catch (error) {
      this.emit({ type: "step-done", title, ms: performance.now() - started, ok: false });
      throw error;
    }
  }

  /**
   * Run `fn` on every host in parallel (at most `limit` at once), reporting each host's result with
   * its time. Throws one error naming every failed host once all have finished.
   */
  async onHosts<T>(hosts: readonly string[], what: string, fn: (host: string) => Promise<T>, limit?: number): Promise<T[]> {
    // A failing pre-connect hook stops the run once, not once per host.
    if (hosts.length > 0) await this.beforeFirstConnection();
    // The connection is opened by fn's first command, so a host that cannot be reached fails
    // inside fn (reported like any other failure, and seen by fn's own error handling).
    return forEachHost(
      hosts,
      async (host) => {
        const started = performance.now();
        try {
          const result = await fn(host);
          this.emit({ type: "host-done", host, what, ms: performance.now() - started });
          return result;
        } catch (error) {
          this.emit({ type: "host-failed", host, what, error: firstLine(error) });
          throw error;
        }
      },
      { limit },
    );
  }

  async close(): Promise<void> {
    await this.pool.closeAll();
  }
}

/** The pool's settings from the config's `ssh:` and `sshkit:` sections (key_data already resolved). */
export function connectionSettings(config: Pick<SextantConfig, "ssh" | "sshkit">, keyData: readonly Secret[] = []): ConnectionSettings {
  const { ssh, sshkit } = config;
  return {
    user: ssh.user,
    port: ssh.port,
    proxy: ssh.proxy && "jump" in ssh.proxy ? ssh.proxy.jump : undefined,
    proxyCommand: ssh.proxy && "command" in ssh.proxy ? ssh.proxy.command : undefined,
    keys: ssh.keys,
    keyData: keyData.length > 0 ? keyData.map((key) => key.reveal()) : undefined,
    keysOnly: ssh.keysOnly,
    config: ssh.config,
    forwardAgent: ssh.forwardAgent,
    logLevel: ssh.logLevel,
    maxConcurrentStarts: sshkit.maxConcurrentStarts,
    poolIdleTimeoutMs: sshkit.poolIdleTimeout * 1000,
    dnsRetries: sshkit.dnsRetries,
  };
}

/** The command never finished because the connection went away (not because it failed). */
export function connectionLost(error: unknown): boolean {
  if (error instanceof SshConnectError) return error.reason !== "auth" && error.reason !== "host-key" && error.reason !== "keys";
  return error instanceof SshCommandError && error.code === null && error.signal === undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
