/** Typed errors of the SSH layer. Every message names the host and what failed. */
import { SextantError } from "../errors.ts";

/** Where a connection goes: enough to name it in a message. */
export interface HostLabel {
  host: string;
  user: string;
  port: number;
}

function hostLabel(t: HostLabel): string {
  return `${t.user}@${t.host}${t.port === 22 ? "" : `:${t.port}`}`;
}

/** Couldn't connect or authenticate. */
export class SshConnectError extends SextantError {
  readonly host: string;
  readonly user: string;
  readonly port: number;
  /** What failed: "connect", "timeout", "auth", "host-key", "proxy", "dns", "closed". */
  readonly reason: SshConnectReason;
  constructor(target: HostLabel, reason: SshConnectReason, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`SSH connection to ${hostLabel(target)} failed: ${detail}`, { hint: options.hint ?? defaultHint(target, reason), cause: options.cause });
    this.host = target.host;
    this.user = target.user;
    this.port = target.port;
    this.reason = reason;
  }
}

export type SshConnectReason = "connect" | "timeout" | "auth" | "host-key" | "proxy" | "dns" | "closed" | "keys";

function defaultHint(t: HostLabel, reason: SshConnectReason): string | undefined {
  switch (reason) {
    case "connect":
      return `Check that the host is reachable and that sshd listens on port ${t.port} (ssh.port in the config).`;
    case "timeout":
      return `Check that the host is up and reachable on port ${t.port} (a firewall may be dropping packets).`;
    case "auth":
      return `Check ssh.user (${t.user}), that your public key is in ~${t.user}/.ssh/authorized_keys on ${t.host}, and that the key is loaded (ssh.keys, ssh.key_data or ssh-agent: ssh-add -l). Try: ssh ${t.port === 22 ? "" : `-p ${t.port} `}${t.user}@${t.host}`;
    case "dns":
      return `Check the host name ${t.host} (DNS, /etc/hosts or HostName in ~/.ssh/config).`;
    case "proxy":
      return "Check ssh.proxy / ssh.proxy_command (or ProxyJump in ~/.ssh/config) and that the jump host can reach the target.";
    case "closed":
      return "The server closed the connection; check sshd's logs on the host (MaxStartups, AllowUsers, DenyUsers).";
    default:
      return undefined;
  }
}

/** The host's key is unknown or doesn't match known_hosts. */
export class SshHostKeyError extends SshConnectError {
  readonly fingerprint: string;
  readonly keyType: string;
  readonly mismatch: boolean;
  constructor(target: HostLabel, info: { fingerprint: string; keyType: string; mismatch: boolean; knownHostsFiles: readonly string[]; trustCommand: string }) {
    const detail = info.mismatch
      ? `the host key has CHANGED (${info.keyType} ${info.fingerprint}); it doesn't match ${info.knownHostsFiles.join(", ")}. This may be a man-in-the-middle attack, or the host was reinstalled`
      : `host key not trusted: ${info.keyType} ${info.fingerprint} is not in ${info.knownHostsFiles.join(", ") || "any known_hosts file"}`;
    const hint = info.mismatch
      ? `If the change is expected, remove the old key (ssh-keygen -R ${knownHostsName(target.host, target.port)}) and trust the new one: ${info.trustCommand}`
      : `Verify the fingerprint, then trust it with: ${info.trustCommand}`;
    super(target, "host-key", detail, { hint });
    this.fingerprint = info.fingerprint;
    this.keyType = info.keyType;
    this.mismatch = info.mismatch;
  }
}

/** `host` as known_hosts names it: plain for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A remote command exited non-zero (or was killed by a signal). */
export class SshCommandError extends SextantError {
  readonly host: string;
  /** The command line, secrets redacted. */
  readonly command: string;
  /** Exit status; null when killed by a signal. */
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  /** The command never ran (no channel could be opened): safe to retry on a new connection. */
  readonly notStarted: boolean;
  constructor(info: { host: string; command: string; code: number | null; signal?: string; stdout: string; stderr: string; failure?: string; notStarted?: boolean }) {
    const status = info.failure
      ? info.failure
      : info.code !== null
        ? `exited with status ${info.code}`
        : info.signal
          ? `was killed by signal ${info.signal}`
          : "ended without an exit status (the connection was lost)";
    const tail = tailLines(info.stderr.trim() || info.stdout.trim(), 10, 2000);
    super(`Command on ${info.host} ${status}: ${info.command}${tail ? `\n${tail}` : ""}`);
    this.host = info.host;
    this.command = info.command;
    this.code = info.code;
    this.signal = info.signal;
    this.stdout = info.stdout;
    this.stderr = info.stderr;
    this.notStarted = info.notStarted ?? false;
  }
}

/** A remote command ran longer than its timeout, or was cancelled. */
export class SshTimeoutError extends SextantError {
  readonly host: string;
  readonly command: string;
  constructor(host: string, command: string, what: string) {
    super(`Command on ${host} ${what}: ${command}`);
    this.host = host;
    this.command = command;
  }
}

/** An SFTP upload failed. */
export class SshUploadError extends SextantError {
  readonly host: string;
  readonly remotePath: string;
  constructor(host: string, remotePath: string, cause: unknown) {
    super(`Upload to ${host}:${remotePath} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      hint: "Check that the directory exists on the host and that the SSH user may write there.",
    });
    this.host = host;
    this.remotePath = remotePath;
  }
}

/** Errors from several hosts of one `onHosts` call. */
export class SshMultiHostError extends SextantError {
  readonly errors: ReadonlyMap<string, unknown>;
  constructor(errors: Map<string, unknown>) {
    const lines = [...errors].map(([host, e]) => `${host}: ${e instanceof Error ? e.message : String(e)}`);
    const hints = [...new Set([...errors.values()].map((e) => (e instanceof SextantError ? e.hint : undefined)).filter((h): h is string => !!h))];
    super(errors.size === 1 ? `Exception while executing on host ${lines[0]}` : `Exceptions on ${errors.size} hosts:\n${lines.join("\n")}`, {
      hint: hints.length > 0 ? hints.join("\n") : undefined,
      cause: errors.size === 1 ? [...errors.values()][0] : undefined,
    });
    this.errors = errors;
  }
}

/** The last `maxLines` lines of `text`, at most `maxChars` characters. */
export function tailLines(text: string, maxLines: number, maxChars: number): string {
  const lines = text.split("\n");
  let out = lines.slice(-maxLines).join("\n");
  if (out.length > maxChars) out = `…${out.slice(-maxChars)}`;
  else if (lines.length > maxLines) out = `…\n${out}`;
  return out;
}
