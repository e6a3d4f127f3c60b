/**
 * `$(kamal secrets ...)` in a secrets file runs in-process, as in Kamal (which runs
 * `Kamal::Cli::Main.start(args + ["--inline"])`): no `kamal` executable is needed, and what `fetch`
 * returns (the shell-escaped JSON) becomes the value. `$(sextant secrets ...)` works the same.
 * Any other `$(command)` runs in /bin/sh. `secretsFileRunCommand` is the runner to give the
 * secrets-file loader (the `runCommand` of `loadConfig`/`Secrets`).
 *
 * Errors never contain the command line: by the time it runs, `${SECRETS}` has been replaced by
 * fetched values.
 */
import { ConfigError } from "../config/errors.ts";
import { runShellCommand } from "../config/secrets.ts";
import { SextantError } from "../errors.ts";
import { SecretsError } from "./errors.ts";
import { extractSecret } from "./extract.ts";
import { fetchSecrets, formatFetchOutput } from "./fetch.ts";
import type { Runner } from "./runner.ts";
import { ShellSplitError, shellSplit } from "./shell-words.ts";

const INLINE = /^\s*(kamal|sextant)\s*secrets\s+/;

export interface InlineOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Vendor CLI runner (tests). */
  run?: Runner;
}

/** Run `kamal secrets fetch|extract ...` in-process; undefined when `command` is something else. */
export function runInlineSecretsCommand(command: string, options: InlineOptions = {}): string | undefined {
  if (!INLINE.test(command)) return undefined;
  let words: string[];
  try {
    words = shellSplit(command);
  } catch (error) {
    if (error instanceof ShellSplitError) throw new SecretsError("Unmatched quote in a `secrets` command of a secrets file", { hint: "close the quote" });
    throw error;
  }
  const args = dropGlobalOptions(words.slice(2));
  const [sub, ...rest] = args;
  if (sub === "fetch") {
    const parsed = parseFetchArgs(rest);
    const results = fetchSecrets({ ...parsed, env: options.env, run: options.run });
    return formatFetchOutput(results);
  }
  if (sub === "extract") {
    const positionals = rest.filter((w) => w !== "--inline");
    if (positionals.length !== 2) {
      throw new SecretsError("`secrets extract` takes a name and the fetched secrets", { hint: "NAME=$(kamal secrets extract NAME ${SECRETS})" });
    }
    return extractSecret(positionals[0]!, positionals[1]!).replace(/\r?\n$/, "");
  }
  throw new SecretsError(`\`secrets ${sub ?? ""}\` cannot be used inside a secrets file`, { hint: "use `secrets fetch` and `secrets extract` there" });
}

/** Global options (-d staging, -c file, -v...) may appear; they mean nothing here. */
function dropGlobalOptions(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (["-c", "--config-file", "-d", "--destination", "-h", "--hosts", "-r", "--roles"].includes(word)) {
      i++;
      continue;
    }
    if (/^--(config-file|config_file|destination|hosts|roles)=/.test(word) || ["-v", "--verbose", "-q", "--quiet", "-p", "--primary", "-H", "--skip-hooks", "--skip_hooks"].includes(word)) continue;
    out.push(word);
  }
  return out;
}

export function parseFetchArgs(words: readonly string[]): { adapter: string; account?: string; from?: string; secrets: string[] } {
  const options: Record<string, string | undefined> = {};
  const secrets: string[] = [];
  const names: Record<string, string> = { "--adapter": "adapter", "-a": "adapter", "--account": "account", "--from": "from" };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--inline" || word === "--no-inline") continue;
    const eq = word.indexOf("=");
    const flag = word.startsWith("--") && eq !== -1 ? word.slice(0, eq) : word;
    if (flag in names) {
      const value = flag !== word ? word.slice(eq + 1) : words[++i];
      if (value === undefined) throw new SecretsError(`${flag} needs a value`, { hint: "e.g. kamal secrets fetch --adapter 1password --account my --from Vault/Item NAME" });
      options[names[flag]!] = value;
      continue;
    }
    if (/^-a./.test(word)) {
      options.adapter = word.slice(2);
      continue;
    }
    if (word.startsWith("-") && word !== "-") throw new SecretsError(`Unknown option ${word} for \`secrets fetch\``, { hint: "options: --adapter/-a, --account, --from" });
    secrets.push(word);
  }
  if (!options.adapter) throw new SecretsError("No value provided for required options '--adapter'", { hint: "e.g. --adapter 1password" });
  return { adapter: options.adapter, account: options.account, from: options.from, secrets };
}

/** The `$(command)` runner for secrets files: in-process `secrets` commands, /bin/sh for the rest. */
export function secretsFileRunCommand(options: InlineOptions = {}): (command: string) => string {
  return (command) => {
    let inline: string | undefined;
    try {
      inline = runInlineSecretsCommand(command, options);
    } catch (error) {
      if (error instanceof SextantError && !(error instanceof ConfigError)) {
        throw new ConfigError([{ path: "", message: error.message }], { hint: error.hint });
      }
      throw error;
    }
    if (inline !== undefined) return inline;
    return runShellCommand(command, options.cwd, options.env ?? process.env);
  };
}
