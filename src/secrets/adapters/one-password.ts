/**
 * 1Password (`op`). Kamal: `op account get --account ACC` tells whether we are signed in; if not,
 * `op signin --account ACC --force --raw` prints a session token (op prompts on the terminal).
 * Secrets are `[op://]VAULT/ITEM[/SECTION]/FIELD` (FIELD defaults to `password`); one
 * `op item get` per item, asking for its fields by label. With no names, every field of the item
 * `--from VAULT/ITEM`. Keys are the field references without `op://` and without `/password`.
 */
import { asString, isRecord, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

function signedInArgv(account: string): string[] {
  return ["op", "account", "get", "--account", account];
}

function signInArgv(account: string): string[] {
  return ["op", "signin", "--account", account, "--force", "--raw"];
}

/** `op item get ITEM --vault V --format json --account A [--session S] [--fields label=F,...]` */
function itemGetArgv(vault: string, item: string, options: { account: string; session?: string; fields?: readonly string[] }): string[] {
  const argv = ["op", "item", "get", item, "--vault", vault, "--format", "json", "--account", options.account];
  if (options.session) argv.push("--session", options.session);
  if (options.fields && options.fields.length > 0) argv.push("--fields", options.fields.map((f) => `label=${f}`).join(","));
  return argv;
}

/** vault -> item -> field labels (`SECTION.FIELD`), in the order first seen. */
function vaultsItemsFields(secrets: readonly string[]): Map<string, Map<string, string[]>> {
  const vaults = new Map<string, Map<string, string[]>>();
  for (const secret of secrets) {
    const [vault = "", item = "", ...fields] = secret.replace(/^op:\/\//, "").split("/");
    if (fields.length === 0) fields.push("password");
    const items = vaults.get(vault) ?? new Map<string, string[]>();
    vaults.set(vault, items);
    const list = items.get(item) ?? [];
    items.set(item, list);
    list.push(fields.join("."));
  }
  return vaults;
}

/** `op://vault/item/section/field` -> `vault/item/section/field`; a trailing `/password` is dropped. */
function referenceKey(reference: string): string {
  const key = reference.replace(/^op:\/\//, "");
  return key.endsWith("/password") ? key.slice(0, -"/password".length) : key;
}

/** The fields `op item get --fields` printed: one object for one field, an array for several. */
function parseFields(json: unknown): Record<string, string> {
  const fields = Array.isArray(json) ? records(json) : isRecord(json) ? [json] : [];
  const out: Record<string, string> = {};
  for (const field of fields) if (typeof field.reference === "string") out[referenceKey(field.reference)] = asString(field.value);
  return out;
}

/** A whole item (`op item get` without --fields): every field under `fields`. */
function parseItem(json: unknown): Record<string, string> {
  return parseFields(isRecord(json) && Array.isArray(json.fields) ? json.fields : []);
}

export const onePassword: SecretsAdapter = {
  name: "1password",
  aliases: ["one_password"],
  vendor: "1Password",
  cli: "op",
  requiresAccount: true,
  installUrl: "https://developer.1password.com/docs/cli/get-started/",
  signInHint: (account) => `sign in with \`eval $(op signin --account ${account ?? "ACCOUNT"})\``,
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const account = request.account!;
    const cli = new VendorCli(this, ctx, account);
    cli.checkInstalled();
    let session: string | undefined;
    if (cli.attempt(signedInArgv(account)).status !== 0) {
      session = cli.run(signInArgv(account), `Failed to sign in to 1Password account ${account}`).trim() || undefined;
    }
    const results: Record<string, string> = {};
    if (request.secrets.length === 0) {
      if (!request.from)
        throw cli.error("Nothing to fetch from 1Password: give secret names, or --from VAULT/ITEM to fetch every field of an item", "e.g. sextant secrets fetch -a 1password --account ACCOUNT --from MyVault/MyItem");
      const [vault = "", item = ""] = request.from.replace(/^op:\/\//, "").split("/");
      if (!item) throw cli.error(`--from ${request.from} names no item: to fetch a whole item use --from VAULT/ITEM`, "e.g. --from MyVault/MyItem");
      const json = cli.json(itemGetArgv(vault, item, { account, session }), `Could not read ${item} in the ${vault} 1Password vault`);
      return parseItem(json);
    }
    for (const [vault, items] of vaultsItemsFields(prefixed(request.secrets, request.from))) {
      for (const [item, fields] of items) {
        const json = cli.json(itemGetArgv(vault, item, { account, session, fields }), `Could not read ${fields.join(", ")} from ${item} in the ${vault} 1Password vault`);
        Object.assign(results, parseFields(json));
      }
    }
    return results;
  },
};
