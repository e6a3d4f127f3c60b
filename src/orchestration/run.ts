/**
 * Everything one CLI command's run carries through orchestration: the config, the selection, the
 * session (SSH + output), who is deploying, whether this process holds the deploy lock, and the
 * KAMAL_* environment hooks receive.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import * as audit from "../commands/audit.ts";
import { HOOKS_WITH_SECRETS, type HookName, hookEnv, hookFile } from "../commands/hooks.ts";
import { render } from "../commands/shell.ts";
import type { SextantConfig } from "../config/model.ts";
import { defaultGit } from "../config/version.ts";
import type { Reporter } from "../output/events.ts";
import { runHook } from "./hooks.ts";
import { type Selection, type SelectionOptions, select } from "./selection.ts";
import { type HostPool, Session } from "./session.ts";

export interface RunOptions extends SelectionOptions {
  config: SextantConfig;
  reporter: Reporter;
  /** The top-level command and sub-command, for KAMAL_COMMAND / KAMAL_SUBCOMMAND. */
  command: string;
  subcommand?: string;
  skipHooks?: boolean;
  /** Environment of this process (KAMAL_LOCK=true means a parent sextant holds the lock). */
  env?: Record<string, string | undefined>;
  lockWait?: { timeoutSeconds: number; intervalSeconds: number };
  /** How much the user asked to see (-q / -v); hooks_output applies only at the normal level. */
  verbosity?: "quiet" | "normal" | "verbose";
  /** Where remote commands go (default: SSH); orchestration tests pass a recording pool. */
  pool?: HostPool;
}

/** A git value of the project (trimmed), or undefined outside a repository or when unset. */
function git(args: string[], cwd: string): string | undefined {
  return defaultGit(cwd)(args)?.trim() || undefined;
}

export function utcSeconds(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * What a hook shows (Kamal's run_hook): at the normal level, `hooks_output` decides (verbose: its
 * output, quiet: not even that it ran); -v shows every hook's output and -q none, whatever it says.
 */
export function hookVerbosity(cli: "quiet" | "normal" | "verbose", configured?: "quiet" | "verbose"): "quiet" | "normal" | "verbose" {
  return cli === "normal" && configured !== undefined ? configured : cli;
}

export class Run {
  readonly config: SextantConfig;
  readonly session: Session;
  readonly selection: Selection;
  readonly options: RunOptions;
  readonly startedAt = performance.now();
  /** Whether this process (or a parent, via KAMAL_LOCK) holds the deploy lock. */
  holdingLock: boolean;
  private cachedPerformer?: string;
  private cachedUserName?: string;

  constructor(options: RunOptions) {
    this.options = options;
    this.config = options.config;
    this.selection = select(options.config, options);
    this.session = new Session({ config: options.config, reporter: options.reporter, pool: options.pool, beforeFirstConnection: () => this.hook("pre-connect") });
    this.holdingLock = (options.env ?? process.env).KAMAL_LOCK === "true";
  }

  get reporter(): Reporter {
    return this.session.reporter;
  }

  /** `git config user.email`, else the login name (audit lines, KAMAL_PERFORMER). */
  get performer(): string {
    return (this.cachedPerformer ??= git(["config", "user.email"], this.config.cwd) ?? userInfo().username);
  }

  /** `git config user.name`, else Unknown (lock details). */
  get userName(): string {
    return (this.cachedUserName ??= git(["config", "user.name"], this.config.cwd) ?? "Unknown");
  }

  /** The remote command that appends an audit line. */
  auditCommand(message: string, tags: { role?: string; details?: string[] } = {}): string {
    return render(audit.record(this.config, message, { recordedAt: utcSeconds(), performer: this.performer, ...tags }));
  }

  /** Append an audit line on a host. */
  async audit(host: string, message: string, tags: { role?: string; details?: string[] } = {}): Promise<void> {
    await this.session.exec(host, this.auditCommand(message, tags));
  }

  /** Run a hook with Kamal's KAMAL_* environment (KAMAL_RECORDED_AT, _PERFORMER, _VERSION, _HOSTS, ...); secrets only for the hooks that get them. */
  async hook(name: HookName, options: { hosts?: readonly string[]; runtime?: number } = {}): Promise<void> {
    const c = this.config;
    let secrets: Record<string, string> | undefined;
    if (HOOKS_WITH_SECRETS.has(name) && !this.options.skipHooks && existsSync(resolve(c.cwd, hookFile(c, name)))) {
      const all = c.secrets.all();
      this.session.protect(all.values());
      secrets = Object.fromEntries([...all].map(([k, v]) => [k, v.reveal()]));
    }
    const env = hookEnv(c, name, {
      recordedAt: utcSeconds(),
      performer: this.performer,
      hosts: options.hosts ?? this.selection.hosts,
      roles: this.options.roles ? this.selection.roles.map((r) => r.name) : undefined,
      lock: this.holdingLock,
      command: this.options.command,
      subcommand: this.options.subcommand,
      runtime: options.runtime,
      secrets,
    });
    await runHook(name, env, {
      cwd: c.cwd,
      hooksPath: c.hooksPath,
      skipHooks: this.options.skipHooks ?? false,
      reporter: this.reporter,
      redact: (t) => this.session.redact(t),
      output: hookVerbosity(this.options.verbosity ?? "normal", c.hooksOutput.hooks[name] ?? c.hooksOutput.all),
    });
  }

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
