/**
 * `sextant secrets fetch|extract|print` (Kamal's `kamal secrets`). Thin: the work is in
 * src/secrets. Only `print` (and `fetch`/`extract`, whose job it is) write secret values, to stdout.
 */
import { defineCommand } from "citty";
import { globalOptions } from "../context.ts";
import { commandMap } from "../lazy.ts";

const fetch = defineCommand({
  meta: { name: "fetch", description: "Fetch secrets from a password manager; prints them as shell-escaped JSON for `secrets extract`" },
  args: {
    adapter: { type: "string", alias: "a", required: true, valueHint: "ADAPTER", description: "1password, bitwarden, bitwarden-sm, lastpass, aws_secrets_manager, gcp_secret_manager, doppler, passbolt or enpass" },
    account: { type: "string", valueHint: "ACCOUNT", description: "The account identifier or username (required by 1password, bitwarden, lastpass, gcp)" },
    from: { type: "string", valueHint: "FROM", description: "A vault or folder to fetch the secrets from (prepended to each name as FROM/NAME)" },
    inline: { type: "boolean", description: "Accepted for Kamal compatibility (secrets files run `secrets` commands in-process)" },
    secrets: { type: "positional", required: false, valueHint: "SECRETS...", description: "Names of the secrets to fetch" },
  },
  async run({ args }) {
    const { fetchSecrets, formatFetchOutput } = await import("../../secrets/fetch.ts");
    const results = fetchSecrets({ adapter: args.adapter, account: args.account, from: args.from, secrets: args._.map(String) });
    process.stdout.write(`${formatFetchOutput(results)}\n`);
  },
});

const extract = defineCommand({
  meta: { name: "extract", description: "Extract a single secret from the results of `secrets fetch`" },
  args: {
    inline: { type: "boolean", description: "Accepted for Kamal compatibility" },
    name: { type: "positional", required: true, valueHint: "NAME", description: "The secret's name (or the end of its key: NAME matches Vault/Item/NAME)" },
    secrets: { type: "positional", required: true, valueHint: "SECRETS", description: "The output of `secrets fetch`" },
  },
  async run({ args }) {
    const { extractSecret } = await import("../../secrets/extract.ts");
    const value = extractSecret(args.name, args.secrets);
    process.stdout.write(value.endsWith("\n") ? value : `${value}\n`);
  },
});

const print = defineCommand({
  meta: { name: "print", description: "Print the secrets from the secrets files, KEY=value (for debugging: shows the values)" },
  async run() {
    const { printSecrets } = await import("../../secrets/print.ts");
    const g = globalOptions();
    process.stdout.write(printSecrets({ configFile: g.configFile, destination: g.destination, version: g.version }));
  },
});

export default defineCommand({
  meta: { name: "secrets", description: "Fetch secrets from password managers, extract and print them" },
  subCommands: commandMap({ fetch, extract, print }),
});
