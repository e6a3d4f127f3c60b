/**
 * Commands run on the deployer's machine (docker build, git, hooks), streamed to the reporter with
 * -v and captured for error messages.
 */
import { spawn } from "node:child_process";
import { SextantError } from "../errors.ts";
import type { Reporter } from "../output/events.ts";

export interface LocalRunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Redacts secrets from what is shown. */
  redact?: (text: string) => string;
  reporter?: Reporter;
  /** Shown instead of the argv in events and errors (e.g. with secrets removed). */
  display?: string;
}

export interface LocalResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class LocalCommandError extends SextantError {
  constructor(
    readonly command: string,
    readonly result: LocalResult,
    hint?: string,
  ) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n");
    super(`local command failed (exit ${result.code}): ${command}${tail ? `\n${tail}` : ""}`, { hint });
  }
}

/** Run a program (no shell) locally. */
export function runLocal(argv: readonly string[], options: LocalRunOptions = {}): Promise<LocalResult> {
  const redact = options.redact ?? ((t: string) => t);
  const shown = redact(options.display ?? argv.join(" "));
  options.reporter?.emit({ type: "command", host: "local", command: shown });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const relay = (stream: "stdout" | "stderr") => (data: Buffer) => {
      const text = data.toString();
      if (stream === "stdout") stdout += text;
      else stderr += text;
      options.reporter?.emit({ type: "output", host: "local", stream, text: redact(text) });
    };
    child.stdout.on("data", relay("stdout"));
    child.stderr.on("data", relay("stderr"));
    child.on("error", (error) => reject(new SextantError(`cannot run ${argv[0]}: ${error.message}`, { hint: `Is ${argv[0]} installed and on PATH?`, cause: error })));
    child.on("close", (code) => {
      const result = { code: code ?? 1, stdout: redact(stdout), stderr: redact(stderr) };
      if (result.code !== 0 && !options.allowFailure) reject(new LocalCommandError(shown, result));
      else resolve({ ...result, stdout, stderr });
    });
    child.stdin.on("error", () => {}); // the program may exit without reading its stdin
    child.stdin.end(options.stdin ?? "");
  });
}
