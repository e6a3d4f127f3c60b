/**
 * `secrets fetch`: ask a password manager's CLI for secrets and print them as one JSON object,
 * shell-escaped exactly like Kamal (`JSON.dump(results).shellescape`), so that in a secrets file
 *   SECRETS=$(kamal secrets fetch -a 1password --account my --from Vault/Item A B)
 *   A=$(kamal secrets extract A ${SECRETS})
 * hands the JSON back to `extract` as one argument.
 */
import { lookupAdapter, type SecretsAdapter } from "./adapters/index.ts";
import { SecretsError } from "./errors.ts";
import { createRunner, type Runner } from "./runner.ts";
import { shellEscape } from "./shell-words.ts";

export interface FetchOptions {
  adapter: string;
  account?: string;
  from?: string;
  /** Secret names, as given on the command line. */
  secrets: readonly string[];
  /** Runs the vendor CLI (default: the real one, found on PATH). */
  run?: Runner;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Fetch the secrets; returns name -> value. */
export function fetchSecrets(options: FetchOptions): Record<string, string> {
  const adapter = lookupAdapter(options.adapter);
  const account = options.account === "" ? undefined : options.account;
  if (adapter.requiresAccount && account === undefined) throw missingAccount(adapter);
  const env = options.env ?? process.env;
  const run = options.run ?? createRunner({ env });
  return adapter.fetch({ run, env }, { secrets: options.secrets, account, from: options.from === "" ? undefined : options.from });
}

/** What `secrets fetch` prints (without the newline). */
export function formatFetchOutput(results: Readonly<Record<string, string>>): string {
  return shellEscape(JSON.stringify(results));
}

function missingAccount(adapter: SecretsAdapter): SecretsError {
  const example: Record<string, string> = {
    "1password": "--account my-team (the account's sign-in address, ID or shorthand)",
    bitwarden: "--account you@example.com",
    lastpass: "--account you@example.com",
    gcp_secret_manager: "--account default (or you@example.com, or you@example.com|service-account@project.iam.gserviceaccount.com)",
    test: "--account anything",
  };
  return new SecretsError("No value provided for required options '--account'", {
    hint: `the ${adapter.name} adapter needs ${example[adapter.name] ?? "--account ACCOUNT"}`,
  });
}
