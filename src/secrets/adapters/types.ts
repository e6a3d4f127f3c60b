/**
 * What every secrets adapter is: a vendor CLI, whether `--account` is required, how a user signs in
 * by hand (for error hints), and `fetch`, which checks the CLI is installed, signs in like Kamal
 * does and turns the CLI's JSON into `{ name: value }`. The argv each step runs is built by pure
 * functions exported from the adapter's module (tested one by one).
 */
import type { Runner } from "../runner.ts";

export interface FetchRequest {
  /** Secret names as given on the command line (before `--from` is prepended). */
  secrets: readonly string[];
  account?: string;
  from?: string;
}

export interface AdapterContext {
  run: Runner;
  /** Environment the adapter may consult (e.g. DOPPLER_TOKEN). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface SecretsAdapter {
  /** The name Kamal documents (`1password`, `bitwarden-sm`, ...). */
  readonly name: string;
  /** Other accepted names (`one_password`, `bitwarden_secrets_manager`, ...). */
  readonly aliases: readonly string[];
  /** For messages: "1Password". */
  readonly vendor: string;
  /** The executable: "op". Empty for the built-in test adapter. */
  readonly cli: string;
  readonly requiresAccount: boolean;
  /** Where to get the CLI. */
  readonly installUrl: string;
  /** How to sign in by hand, shown when signing in or reading fails. */
  signInHint(account?: string): string;
  /** Check the CLI, sign in, fetch. Returns name -> value. */
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string>;
}

/** Kamal's `prefixed_secrets`: `--from X` turns each name into `X/name`. */
export function prefixed(secrets: readonly string[], from: string | undefined): string[] {
  return secrets.map((s) => (from === undefined || from === "" ? s : `${from}/${s}`));
}
