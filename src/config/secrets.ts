/**
 * Secrets from `.kamal/secrets-common`, then `.kamal/secrets` (no destination) or
 * `.kamal/secrets.<destination>` (with one); later files win. Loaded lazily, on the first lookup,
 * because `$(command)` substitutions may prompt a password manager. Values are `Secret` objects
 * whose string, JSON and inspect forms are redacted; call `reveal()` where the value is needed.
 */
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DotenvError, parseDotenv } from "./dotenv.ts";
import { ConfigError } from "./errors.ts";

export const REDACTED = "[REDACTED]";

const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");
const denoInspectSymbol = Symbol.for("Deno.customInspect");

/** A secret value. Printing it (String, template, JSON, console.log) shows [REDACTED]. */
export class Secret {
  readonly #value: string;
  constructor(
    readonly name: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspectSymbol](): string {
    return REDACTED;
  }
  [denoInspectSymbol](): string {
    return REDACTED;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Replace every occurrence of these secret values in text (for logs of commands and output). */
export function redact(text: string, secrets: Iterable<Secret>): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret.reveal();
    if (value.length >= 3) out = out.split(value).join(REDACTED);
  }
  return out;
}

export interface SecretsOptions {
  /** `secrets_path` from the config (default .kamal/secrets). */
  secretsPath?: string;
  destination?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Runs `$(command)` in a secrets file (default: /bin/sh in cwd, stdin/stderr inherited). */
  runCommand?: (command: string) => string;
}

export const DEFAULT_SECRETS_PATH = ".kamal/secrets";

export class Secrets {
  readonly secretsPath: string;
  readonly destination?: string;
  readonly cwd: string;
  // Private fields (not just private in TypeScript) so printing or JSON-encoding never dumps them.
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #runCommand: (command: string) => string;
  #loaded?: Map<string, Secret>;

  constructor(options: SecretsOptions = {}) {
    this.secretsPath = options.secretsPath ?? DEFAULT_SECRETS_PATH;
    this.destination = options.destination;
    this.cwd = options.cwd ?? process.cwd();
    this.#env = options.env ?? process.env;
    this.#runCommand = options.runCommand ?? ((command) => runShellCommand(command, this.cwd, this.#env));
  }

  /** The files read, in order (later ones win), whether they exist or not. */
  get files(): string[] {
    return [`${this.secretsPath}-common`, this.destination ? `${this.secretsPath}.${this.destination}` : this.secretsPath];
  }

  existingFiles(): string[] {
    return this.files.filter((f) => existsSync(resolve(this.cwd, f)));
  }

  /** The file a missing secret belongs in. */
  get primaryFile(): string {
    return this.files[1]!;
  }

  has(name: string): boolean {
    return this.#load().has(name);
  }

  get(name: string): Secret {
    const secret = this.#load().get(name);
    if (secret) return secret;
    const existing = this.existingFiles();
    const message = existing.length > 0 ? `Secret '${name}' not found in ${existing.join(", ")}` : `Secret '${name}' not found, no secret files (${this.files.join(", ")}) provided`;
    throw new ConfigError([{ path: "", message }], { hint: `add ${name}=... to ${this.primaryFile} (e.g. ${name}=$${name} to take it from the environment)` });
  }

  /** Every secret defined in the files. */
  all(): Map<string, Secret> {
    return new Map(this.#load());
  }

  keys(): string[] {
    return [...this.#load().keys()];
  }

  #load(): Map<string, Secret> {
    if (this.#loaded) return this.#loaded;
    const values: Record<string, string> = {};
    for (const file of this.existingFiles()) {
      const text = readSecretsFile(resolve(this.cwd, file), file);
      try {
        Object.assign(values, parseDotenv(text, { file, defined: { ...values }, env: this.#env, runCommand: this.#runCommand }));
      } catch (error) {
        if (error instanceof DotenvError) {
          throw new ConfigError([{ path: "", message: error.message, hint: error.hint, at: { file: error.file, line: error.line, col: 1 } }]);
        }
        if (error instanceof ConfigError) throw error;
        throw new ConfigError([{ path: "", message: `reading ${file}: ${(error as Error).message}`, at: { file, line: 1, col: 1 } }]);
      }
    }
    this.#loaded = new Map(Object.entries(values).map(([k, v]) => [k, new Secret(k, v)]));
    return this.#loaded;
  }
}

/** A secrets file's text, or a clear error when it is a directory or cannot be read. */
function readSecretsFile(path: string, shown: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${code ?? (error as Error).message})`;
    const hint =
      code === "EISDIR"
        ? `secrets live in a dotenv file: move the directory away and write KEY=value lines to ${shown}`
        : code === "EACCES"
          ? `make it readable by you (e.g. chmod 600 ${shown}, owned by your user)`
          : `check the file ${shown}`;
    throw new ConfigError([{ path: "", message: `${shown} ${why}` }], { hint });
  }
}

/**
 * Run a secrets file's `$(command)` in /bin/sh and return its output. A failure says only the exit
 * status: the command line may hold secrets (its `$VAR`s are already expanded).
 */
export function runShellCommand(command: string, cwd: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  try {
    return execSync(command, {
      cwd,
      env: env as NodeJS.ProcessEnv,
      shell: "/bin/sh",
      encoding: "utf8",
      stdio: ["inherit", "pipe", "inherit"],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new ConfigError([{ path: "", message: `exited with status ${status ?? "unknown"}` }], {
      hint: /^\s*kamal\s+secrets\b/.test(command)
        ? "`kamal secrets` helpers run through your shell here, so the kamal gem must be installed; or call the password manager's CLI directly"
        : "run the command by hand to see why; secrets are loaded only when a command needs them",
    });
  }
}
