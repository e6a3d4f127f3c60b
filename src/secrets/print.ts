/**
 * `secrets print`: every secret from the secrets files, `KEY=value` per line, in file order. The
 * only command that shows secret values (Kamal's debugging aid).
 */
import { loadConfig } from "../config/index.ts";
import type { Secret } from "../config/secrets.ts";
import { secretsFileRunCommand } from "./inline.ts";
import type { Runner } from "./runner.ts";

function formatSecrets(secrets: ReadonlyMap<string, Secret>): string {
  let out = "";
  for (const [key, secret] of secrets) out += `${key}=${secret.reveal()}\n`;
  return out;
}

export interface PrintOptions {
  configFile?: string;
  destination?: string;
  version?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Vendor CLI runner for `$(kamal secrets fetch ...)` (tests). */
  run?: Runner;
}

/** Load the configuration (for secrets_path and the destination) and format its secrets. */
export function printSecrets(options: PrintOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const config = loadConfig({
    configFile: options.configFile,
    destination: options.destination,
    version: options.version,
    cwd,
    env,
    runCommand: secretsFileRunCommand({ cwd, env, run: options.run }),
  });
  return formatSecrets(config.secrets.all());
}
