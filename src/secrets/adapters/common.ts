/**
 * Running one adapter's vendor CLI with errors that name the CLI and say how to sign in. No error
 * message ever includes what a CLI printed on stdout (it may hold secret values); the CLI's own
 * stderr goes straight to the user's terminal.
 */
import { SecretsError } from "../errors.ts";
import type { RunResult } from "../runner.ts";
import type { AdapterContext, SecretsAdapter } from "./types.ts";

export class VendorCli {
  constructor(
    readonly adapter: SecretsAdapter,
    readonly ctx: AdapterContext,
    readonly account?: string,
  ) {}

  /** Run and return the raw result (for sign-in checks, where failure is an answer). */
  attempt(argv: readonly string[], env?: Record<string, string>, interactive = false): RunResult {
    const result = this.ctx.run(argv, { ...(env ? { env } : {}), ...(interactive ? { interactive } : {}) });
    if (result.notFound) throw this.notInstalled();
    return result;
  }

  /** Kamal's first step: `<cli> --version` must succeed. */
  checkInstalled(argv: readonly string[] = [this.adapter.cli, "--version"]): void {
    const result = this.ctx.run(argv);
    if (result.notFound || result.status !== 0) throw this.notInstalled();
  }

  /** Run; on a non-zero exit throw `failure` with the sign-in hint. Returns stdout. */
  run(argv: readonly string[], failure: string, env?: Record<string, string>): string {
    const result = this.attempt(argv, env);
    if (result.status !== 0) throw this.failed(failure, argv, result.status);
    return result.stdout;
  }

  /** A sign-in command the user interacts with; its output is shown (on stderr), not captured. */
  signIn(argv: readonly string[], failure: string): void {
    const result = this.attempt(argv, undefined, true);
    if (result.status !== 0) throw this.failed(failure, argv, result.status);
  }

  /** Run and parse stdout as JSON. */
  json(argv: readonly string[], failure: string, env?: Record<string, string>): unknown {
    return this.parse(this.run(argv, failure, env), argv);
  }

  parse(stdout: string, argv: readonly string[]): unknown {
    try {
      return JSON.parse(stdout);
    } catch {
      // Never show the output itself: it may contain secret values.
      throw new SecretsError(`\`${shown(argv)}\` did not print JSON (${this.adapter.vendor} CLI output could not be parsed)`, {
        hint: `check that \`${this.adapter.cli}\` is the ${this.adapter.vendor} CLI and up to date: ${this.adapter.installUrl}`,
      });
    }
  }

  notInstalled(): SecretsError {
    const { vendor, cli, installUrl } = this.adapter;
    return new SecretsError(`${vendor} CLI is not installed (\`${cli}\` was not found on PATH or \`${cli} --version\` failed)`, {
      hint: `install it (${installUrl}), then ${this.adapter.signInHint(this.account)}`,
    });
  }

  failed(message: string, argv: readonly string[], status: number | null): SecretsError {
    const how = status === null ? "was killed" : `exited with status ${status}`;
    return new SecretsError(`${message} (\`${shown(argv)}\` ${how})`, {
      hint: `${capitalize(this.adapter.signInHint(this.account))}; check the names with the ${this.adapter.vendor} app or \`${this.adapter.cli}\``,
    });
  }

  error(message: string, hint?: string): SecretsError {
    return new SecretsError(message, { hint: hint ?? capitalize(this.adapter.signInHint(this.account)) });
  }
}

/** The command as shown in errors: the executable and its sub-command words, no values. */
function shown(argv: readonly string[]): string {
  const words: string[] = [];
  for (const word of argv) {
    if (word.startsWith("-") || words.length >= 4 || /[^A-Za-z0-9_-]/.test(word)) break;
    words.push(word);
  }
  return words.join(" ");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A JSON value as a secret string: strings as they are, null as "", anything else as JSON. */
export function asString(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** A problem found while reading a CLI's output (missing field, duplicate...): no values in the message. */
export class ParseProblem extends Error {}

/** Run a pure parser; its ParseProblem becomes a SecretsError with the given hint. */
export function parsing<T>(cli: VendorCli, parse: () => T, hint: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ParseProblem) throw cli.error(error.message, hint);
    throw error;
  }
}
