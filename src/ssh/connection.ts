/**
 * One host's connection: commands run on channels multiplexed over a single SSH connection
 * (bounded below sshd's MaxSessions), uploads over one SFTP session.
 */
import { readFile } from "node:fs/promises";
import type { Duplex, Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { ClientChannel, SFTPWrapper } from "ssh2";
import type { SshSession } from "./connect.ts";
import { SshCommandError, SshTimeoutError, SshUploadError } from "./errors.ts";
import { emit, redacted, type SshObserver } from "./events.ts";
import { commandLine, shellQuote } from "./shell-quote.ts";

export interface ExecOptions {
  /** Data for the command's stdin (closed after it); without it stdin is closed at once. */
  stdin?: string | Uint8Array | Readable;
  /** Output as it arrives (UTF-8 decoded, split anywhere). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
  /** Give up (and close the channel) after this long. */
  timeoutMs?: number;
  /** Variables exported before the command runs (sent in the command line, redacted in logs). */
  env?: Record<string, string>;
  /** Return the result of a non-zero exit instead of throwing SshCommandError. */
  allowFailure?: boolean;
  /** Keep at most this many characters of each stream in the result (the end is kept). Default 32 MiB. */
  maxBuffer?: number;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface UploadOptions {
  /** File mode, e.g. 0o600 for env files. Applied before any content is written. Default 0o644. */
  mode?: number;
}

/** What orchestration uses to talk to one host. */
export interface HostConnection {
  readonly host: string;
  /** Run a command (argv is quoted for the remote shell; a string is run as is). Throws SshCommandError on non-zero exit. */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Run a command and return its stdout without the trailing newline. */
  capture(command: string | readonly string[], options?: ExecOptions): Promise<string>;
  /** Run a command; true when it exits 0. */
  test(command: string | readonly string[], options?: ExecOptions): Promise<boolean>;
  /** Write content (string/bytes) or a local file ({ localPath }) to a remote path over SFTP. */
  upload(source: string | Uint8Array | { localPath: string }, remotePath: string, options?: UploadOptions): Promise<void>;
  /**
   * Reverse port forwarding (`ssh -R`): the server listens on bindAddress:bindPort and hands each
   * connection to `onConnection`. Resolves once the server listens, with a function that stops it.
   */
  forwardIn?(bindAddress: string, bindPort: number, onConnection: (channel: Duplex) => void): Promise<() => Promise<void>>;
  /** A stream to a Unix socket on the server (`ssh -L` to a socket, e.g. /var/run/docker.sock). */
  openStreamLocal?(socketPath: string): Promise<Duplex>;
  /** A remote command's stdin/stdout as one stream (e.g. `docker system dial-stdio`); its stderr is dropped. */
  openExecStream?(command: string): Promise<Duplex>;
  close(): Promise<void>;
}

/** The server wouldn't open a channel. */
class ChannelRefused extends Error {}

/** Concurrent channels per connection; OpenSSH's MaxSessions defaults to 10. */
const MAX_CHANNELS = 8;

class Gate {
  active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(public limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class SshHostConnection implements HostConnection {
  readonly host: string;
  /** Operations in flight (the pool doesn't close a busy connection). */
  busy = 0;
  lastUsed = Date.now();
  private readonly gate = new Gate(MAX_CHANNELS);
  private sftp?: Promise<SFTPWrapper>;
  private noSftp = false;
  /** Session channels open now (commands and SFTP). */
  private openChannels = 0;
  private closedReason?: string;

  constructor(
    readonly session: SshSession,
    private readonly observer: SshObserver = {},
  ) {
    this.host = session.target.host;
    session.closed.then((reason) => {
      this.closedReason = reason;
    });
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
      this.lastUsed = Date.now();
    }
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const base = commandLine(command);
    for (const name of Object.keys(options.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`invalid environment variable name: ${name}`);
    }
    const line = options.env
      ? `${Object.entries(options.env)
          .map(([k, v]) => `export ${k}=${shellQuote(v)};`)
          .join(" ")} ${base}`
      : base;
    const shown = redacted(
      this.observer,
      options.env
        ? `${Object.keys(options.env)
            .map((k) => `export ${k}=[REDACTED];`)
            .join(" ")} ${base}`
        : base,
    );
    emit(this.observer, { type: "exec", host: this.host, command: shown });
    return this.track(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.gate.run(() => this.run(line, shown, options));
        } catch (e) {
          if (!(e instanceof ChannelRefused)) throw e;
          if (this.closedReason !== undefined) throw this.notStarted(shown, `the connection is closed (${this.closedReason ?? e.message})`);
          // sshd's MaxSessions (default 10) is below our channel count: run no more than are open now, retry.
          const limit = Math.max(1, this.openChannels);
          if (limit < this.gate.limit) {
            this.gate.limit = limit;
            emit(this.observer, { type: "warning", host: this.host, message: `the server refused a session channel (sshd MaxSessions); running at most ${limit} command(s) at once` });
          }
          if (attempt >= 10) {
            throw this.notStarted(shown, e.message);
          }
          await new Promise((r) => setTimeout(r, 20 * attempt));
        }
      }
    });
  }

  private notStarted(shown: string, why: string): SshCommandError {
    return new SshCommandError({ host: this.host, command: shown, code: null, stdout: "", stderr: "", failure: `could not be started: ${why}`, notStarted: true });
  }

  async capture(command: string | readonly string[], options: ExecOptions = {}): Promise<string> {
    return (await this.exec(command, options)).stdout.replace(/\r?\n$/, "");
  }

  async test(command: string | readonly string[], options: ExecOptions = {}): Promise<boolean> {
    return (await this.exec(command, { ...options, allowFailure: true })).code === 0;
  }

  private run(line: string, shown: string, options: ExecOptions): Promise<ExecResult> {
    const { client } = this.session;
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closedReason !== undefined) {
        reject(this.notStarted(shown, `the connection is closed (${this.closedReason})`));
        return;
      }
      if (options.signal?.aborted) {
        reject(new SshTimeoutError(this.host, shown, "was cancelled"));
        return;
      }
      client.exec(line, (err, channel) => {
        if (err) {
          reject(new ChannelRefused(err.message));
          return;
        }
        this.openChannels++;
        channel.once("close", () => this.openChannels--);
        this.collect(channel, shown, options, started).then(resolve, reject);
      });
    });
  }

  private collect(channel: ClientChannel, shown: string, options: ExecOptions, started: number): Promise<ExecResult> {
    const max = options.maxBuffer ?? 32 * 1024 * 1024;
    const out = new StringDecoder("utf8");
    const err = new StringDecoder("utf8");
    let stdout = "";
    let stderr = "";
    let code: number | null = null;
    let signal: string | undefined;
    return new Promise<ExecResult>((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        if (error) {
          try {
            channel.signal("KILL");
          } catch {
            // the server may not support signals
          }
          channel.close();
          reject(error);
          return;
        }
        stdout += out.end();
        stderr += err.end();
        emit(this.observer, { type: "exit", host: this.host, command: shown, code, ms: Math.round(performance.now() - started) });
        const result: ExecResult = { code, signal, stdout, stderr };
        if (code === 0 || options.allowFailure) resolve(result);
        else reject(new SshCommandError({ host: this.host, command: shown, code, signal, stdout, stderr }));
      };
      const onAbort = () => finish(new SshTimeoutError(this.host, shown, "was cancelled"));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => finish(new SshTimeoutError(this.host, shown, `timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      }
      channel.on("data", (d: Buffer) => {
        const s = out.write(d);
        options.onStdout?.(s);
        stdout = append(stdout, s, max);
      });
      channel.stderr.on("data", (d: Buffer) => {
        const s = err.write(d);
        options.onStderr?.(s);
        stderr = append(stderr, s, max);
      });
      channel.on("exit", (c: number | null, sig?: string) => {
        code = typeof c === "number" ? c : null;
        signal = sig ?? undefined;
      });
      channel.on("close", () => {
        // Closed without an exit status (code and signal stay unset): the connection was dropped.
        finish();
      });
      const stdin = options.stdin;
      if (stdin === undefined) channel.end();
      else if (typeof stdin === "string" || stdin instanceof Uint8Array) channel.end(stdin);
      else stdin.pipe(channel);
    });
  }

  private sftpSession(): Promise<SFTPWrapper> {
    if (!this.sftp) {
      this.sftp = new Promise<SFTPWrapper>((resolve, reject) => {
        this.session.client.sftp((err, sftp) => {
          if (err) {
            this.sftp = undefined;
            reject(err);
          } else {
            this.openChannels++;
            sftp.once("close", () => {
              this.openChannels--;
              this.sftp = undefined;
            });
            resolve(sftp);
          }
        });
      });
    }
    return this.sftp;
  }

  async upload(source: string | Uint8Array | { localPath: string }, remotePath: string, options: UploadOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o644;
    let data: Buffer;
    try {
      data = typeof source === "string" ? Buffer.from(source, "utf8") : source instanceof Uint8Array ? Buffer.from(source) : await readFile(source.localPath);
    } catch (e) {
      throw new SshUploadError(this.host, remotePath, e);
    }
    let viaShell = this.noSftp;
    if (!viaShell) {
      await this.track(() =>
        this.gate.run(async () => {
          let sftp: SFTPWrapper;
          try {
            sftp = await this.sftpSession();
          } catch (e) {
            // No SFTP subsystem on this server: write through the shell instead.
            emit(this.observer, { type: "warning", host: this.host, message: `SFTP unavailable (${(e as Error).message}); uploading through the shell` });
            this.noSftp = viaShell = true;
            return;
          }
          try {
            await writeRemote(sftp, remotePath, data, mode);
          } catch (e) {
            throw new SshUploadError(this.host, remotePath, e);
          }
        }),
      );
    }
    if (viaShell) {
      const p = shellQuote(remotePath);
      const octal = mode.toString(8);
      // Created (or truncated) unreadable to others, mode set before any content is written.
      const result = await this.exec(`( umask 077 && : > ${p} ) && chmod ${octal} ${p} && cat > ${p}`, { stdin: data, allowFailure: true });
      if (result.code !== 0) throw new SshUploadError(this.host, remotePath, new Error(result.stderr.trim() || `exit status ${result.code}`));
    }
    emit(this.observer, { type: "upload", host: this.host, remotePath, mode, bytes: data.length });
  }

  async forwardIn(bindAddress: string, bindPort: number, onConnection: (channel: Duplex) => void): Promise<() => Promise<void>> {
    const { client } = this.session;
    const listener = (details: { destIP: string; destPort: number }, accept: () => Duplex, reject: () => void) => {
      if (details.destPort !== bindPort) return;
      try {
        onConnection(accept());
      } catch {
        reject();
      }
    };
    await new Promise<void>((resolve, reject) =>
      client.forwardIn(bindAddress, bindPort, (err) => (err ? reject(new Error(`the server refused to listen on ${bindAddress}:${bindPort} (${err.message})`)) : resolve())),
    );
    client.on("tcp connection", listener);
    this.busy++;
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      this.busy--;
      client.off("tcp connection", listener);
      if (this.closedReason !== undefined) return;
      await new Promise<void>((resolve) => {
        try {
          client.unforwardIn(bindAddress, bindPort, () => resolve());
        } catch {
          resolve();
        }
      });
    };
  }

  openExecStream(command: string): Promise<Duplex> {
    emit(this.observer, { type: "exec", host: this.host, command: redacted(this.observer, command) });
    return new Promise((resolve, reject) => {
      this.session.client.exec(command, (err, channel) => {
        if (err) return reject(new Error(`cannot run ${command} on ${this.host} (${err.message})`));
        this.openChannels++;
        channel.once("close", () => this.openChannels--);
        channel.stderr.resume();
        resolve(channel);
      });
    });
  }

  openStreamLocal(socketPath: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.session.client.openssh_forwardOutStreamLocal(socketPath, (err, channel) => (err ? reject(new Error(`cannot open ${socketPath} on ${this.host} (${err.message})`)) : resolve(channel)));
    });
  }

  async close(): Promise<void> {
    if (this.closedReason !== undefined) return;
    const closed = this.session.closed;
    this.session.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }
}

function append(buffer: string, chunk: string, max: number): string {
  const next = buffer + chunk;
  return next.length > max ? next.slice(next.length - max) : next;
}

/** Open (create/truncate), set the mode before writing, write everything, close. */
function writeRemote(sftp: SFTPWrapper, path: string, data: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.open(path, "w", { mode }, (err, handle) => {
      if (err) return reject(err);
      const close = (error?: Error | null) =>
        sftp.close(handle, (closeErr) => {
          const e = error ?? closeErr;
          if (e) reject(e);
          else resolve();
        });
      sftp.fchmod(handle, mode, (chmodErr) => {
        if (chmodErr) return close(chmodErr);
        if (data.length === 0) return close();
        let offset = 0;
        const next = () => {
          const len = Math.min(32 * 1024, data.length - offset);
          sftp.write(handle, data, offset, len, offset, (writeErr) => {
            if (writeErr) return close(writeErr);
            offset += len;
            if (offset < data.length) next();
            else close();
          });
        };
        next();
      });
    });
  });
}
