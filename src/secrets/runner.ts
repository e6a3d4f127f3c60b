/**
 * Runs vendor CLIs (op, bw, bws, lpass, aws, gcloud, doppler, enpass-cli, passbolt) the way Kamal's
 * backticks do: stdin and stderr stay with the user's terminal (a CLI may prompt for a password or
 * print why it failed), stdout is captured (sign-in commands: shown on stderr instead). Always an argv array, never a shell, so nothing is
 * interpreted or logged on the way. Synchronous, because secrets files are read synchronously
 * (`$(kamal secrets fetch ...)` is run in-process while a secrets file is parsed).
 */
import { spawnSync } from "node:child_process";

interface RunOptions {
  /** Extra environment for this command (e.g. BW_SESSION); never put on the command line. */
  env?: Readonly<Record<string, string>>;
  /**
   * A sign-in command whose output is for the user (`bw login`, `gcloud auth login`...): its stdout
   * goes to our stderr, so prompts and links are seen but never mixed into what `fetch` prints.
   */
  interactive?: boolean;
}

export interface RunResult {
  /** Exit status; null when the command could not be started or was killed. */
  status: number | null;
  stdout: string;
  /** The program was not found (ENOENT) or could not be executed. */
  notFound: boolean;
}

export type Runner = (argv: readonly string[], options?: RunOptions) => RunResult;

export interface RunnerOptions {
  /** Environment of the vendor CLIs (PATH decides which executables run). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the CLIs' stderr goes: the terminal (default) or nowhere (tests). */
  stderr?: "inherit" | "ignore";
  cwd?: string;
}

export function createRunner(options: RunnerOptions = {}): Runner {
  return (argv, runOptions = {}) => {
    const [file, ...args] = argv;
    if (!file) throw new Error("empty command");
    const baseEnv = options.env ?? process.env;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
    Object.assign(env, runOptions.env);
    const result = spawnSync(file, args, {
      cwd: options.cwd,
      env,
      stdio: ["inherit", runOptions.interactive ? (options.stderr === "ignore" ? "ignore" : 2) : "pipe", options.stderr ?? "inherit"],
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      windowsHide: true,
    });
    const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
    return {
      status: result.status,
      stdout: typeof result.stdout === "string" ? result.stdout : "",
      notFound: code === "ENOENT" || code === "EACCES",
    };
  };
}
