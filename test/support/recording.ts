/**
 * A recording session for orchestration tests: the same pool interface the real SSH session uses,
 * but every command is remembered per host, in order, and answered from a script instead of a
 * server. Like Kamal's CLI tests (a printing SSHKit backend), this shows the exact command lines a
 * sequence runs, so a step that was ported but never called shows up in seconds.
 *
 *   const rec = new RecordingPool().answer(/docker ps --latest/, "v1");
 *   const run = recordingRun(config, rec, { command: "deploy" });
 *   await deploy(run, { skipPush: true });
 *   expect(rec.commands("1.1.1.1")).toContain("docker network create kamal");
 */
import type { SextantConfig } from "../../src/config/model.ts";
import { Run, type RunOptions } from "../../src/orchestration/run.ts";
import type { HostPool } from "../../src/orchestration/session.ts";
import { RecordingReporter } from "../../src/output/events.ts";
import { type ExecOptions, type ExecResult, type HostConnection, SshCommandError } from "../../src/ssh/index.ts";

/** One thing that happened on a host: a command, or an upload (shown as `upload PATH (mode)`). */
export interface Recorded {
  host: string;
  command: string;
  /** For uploads: the content written. */
  content?: string;
  mode?: number;
}

export type Answer = Partial<ExecResult> | string;
type Responder = (command: string, host: string) => Answer | undefined;

interface Rule {
  match: (command: string, host: string) => boolean;
  respond: Responder;
  /** How many more times this rule may answer (Infinity = always). */
  times: number;
}

export class RecordingPool implements HostPool {
  readonly log: Recorded[] = [];
  private readonly rules: Rule[] = [];
  /** Hosts whose connection fails (as an unreachable server). */
  readonly down = new Set<string>();

  /**
   * Answer commands matching `pattern` (a substring or regexp; `host` narrows it) with `answer`
   * (stdout, or a partial result such as `{ code: 1, stderr: "..." }`). Later rules win over
   * earlier ones; `times` limits how often a rule answers.
   */
  answer(pattern: string | RegExp, answer: Answer | Responder, options: { host?: string; times?: number } = {}): this {
    const test = typeof pattern === "string" ? (c: string) => c.includes(pattern) : (c: string) => pattern.test(c);
    this.rules.unshift({
      match: (c, h) => (options.host === undefined || options.host === h) && test(c),
      respond: typeof answer === "function" ? answer : () => answer,
      times: options.times ?? Infinity,
    });
    return this;
  }

  /** Every command (and upload) run on a host, in order. */
  commands(host: string): string[] {
    return this.log.filter((r) => r.host === host).map((r) => r.command);
  }

  /**
   * The commands on a host as Kamal's reference writes them: an audit line becomes `AUDIT message`
   * (its time and performer differ from run to run), so whole sequences can be compared exactly.
   */
  script(host: string): string[] {
    return this.commands(host).map(abbreviateAudit);
  }

  /** Where the first command on `host` containing `text` sits in the log of all hosts (-1 when none): for order across hosts. */
  position(host: string, text: string | RegExp): number {
    return this.log.findIndex((r) => r.host === host && (typeof text === "string" ? r.command.includes(text) : text.test(r.command)));
  }

  /**
   * Check that `expected` (substrings or regexps, audit lines abbreviated as in `script`) occur on
   * `host` in this order, other commands allowed in between. Returns the first one not found after
   * the previous match, or undefined when all are: `expect(pool.missingInOrder(h, [...])).toBeUndefined()`.
   */
  missingInOrder(host: string, expected: readonly (string | RegExp)[]): string | undefined {
    const script = this.script(host);
    let at = 0;
    for (const want of expected) {
      const found = script.findIndex((c, i) => i >= at && (typeof want === "string" ? c.includes(want) : want.test(c)));
      if (found === -1) return String(want);
      at = found + 1;
    }
    return undefined;
  }

  /** Every command on any host that contains `text`. */
  matching(text: string | RegExp): Recorded[] {
    return this.log.filter((r) => (typeof text === "string" ? r.command.includes(text) : text.test(r.command)));
  }

  /** The index of the first command on `host` containing `text` (-1 when none): for order checks. */
  indexOf(host: string, text: string | RegExp): number {
    return this.commands(host).findIndex((c) => (typeof text === "string" ? c.includes(text) : text.test(c)));
  }

  uploads(host?: string): Recorded[] {
    return this.log.filter((r) => r.content !== undefined && (host === undefined || r.host === host));
  }

  private respond(command: string, host: string): ExecResult {
    for (const rule of this.rules) {
      if (rule.times <= 0 || !rule.match(command, host)) continue;
      const answer = rule.respond(command, host);
      if (answer === undefined) continue;
      rule.times--;
      const result = typeof answer === "string" ? { stdout: answer } : answer;
      return { code: result.code === undefined ? 0 : result.code, stdout: result.stdout ?? "", stderr: result.stderr ?? "", signal: result.signal };
    }
    return { code: 0, stdout: "", stderr: "" };
  }

  async get(host: string): Promise<HostConnection> {
    if (this.down.has(host)) throw new Error(`SSH connection to root@${host} failed: connect ECONNREFUSED`);
    const exec = async (command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> => {
      const text = typeof command === "string" ? command : command.join(" ");
      this.log.push({ host, command: text });
      // Let other hosts' work interleave, as real parallel hosts do.
      await Promise.resolve();
      const result = this.respond(text, host);
      if (result.stdout) options.onStdout?.(result.stdout);
      if (result.stderr) options.onStderr?.(result.stderr);
      if (result.code !== 0 && !options.allowFailure) throw new SshCommandError({ host, command: text, ...result });
      return result;
    };
    return {
      host,
      exec,
      capture: async (command, options) => (await exec(command, options)).stdout.replace(/\n$/, ""),
      test: async (command, options) => (await exec(command, { ...options, allowFailure: true })).code === 0,
      upload: async (source, remotePath, options = {}) => {
        const content = typeof source === "string" ? source : source instanceof Uint8Array ? new TextDecoder().decode(source) : `<file ${source.localPath}>`;
        this.log.push({ host, command: `upload ${remotePath} (${(options.mode ?? 0o644).toString(8)})`, content, mode: options.mode ?? 0o644 });
      },
      close: async () => {},
    };
  }

  async closeAll(): Promise<void> {}
}

/** `mkdir -p .kamal && echo "[time] [performer] [role] msg" >> .kamal/app-audit.log` → `AUDIT [role] msg`. */
function abbreviateAudit(command: string): string {
  return command.replace(/mkdir -p \.kamal && echo "\[[^\]]*\] \[[^\]]*\] (.*?)" >> \.kamal\/[\w.-]+-audit\.log/g, "AUDIT $1");
}

/** A Run whose remote commands go to `pool`; hooks skipped unless asked for. */
export function recordingRun(config: SextantConfig, pool: RecordingPool, options: Partial<RunOptions> = {}): Run & { events: RecordingReporter } {
  const reporter = new RecordingReporter();
  const run = new Run({ config, reporter, command: "deploy", skipHooks: true, env: {}, ...options, pool }) as Run & { events: RecordingReporter };
  run.events = reporter;
  return run;
}
