/**
 * Bitwarden (`bw`). Kamal: `bw status` (JSON); `unauthenticated` -> `bw login ACCOUNT` (prompts);
 * `locked` -> `bw unlock --raw` (prompts, prints the session key); the status must then be
 * `unlocked`; `bw sync`. Every later command gets the session as BW_SESSION in its environment,
 * never on its command line. Secrets are `ITEM[/FIELD]`: with a field, the item's custom field;
 * without, the login password, or every custom field of a non-login item.
 */
import { asString, isRecord, ParseProblem, parsing, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

const statusArgv = (): string[] => ["bw", "status"];
const loginArgv = (account: string): string[] => ["bw", "login", account];
const unlockArgv = (): string[] => ["bw", "unlock", "--raw"];
const syncArgv = (): string[] => ["bw", "sync"];
const getItemArgv = (item: string): string[] => ["bw", "get", "item", item];

/** item -> requested fields (empty: the whole item), in the order first seen. */
function itemsFields(secrets: readonly string[]): Map<string, string[]> {
  const items = new Map<string, string[]>();
  for (const secret of secrets) {
    const [item = "", field] = secret.split("/");
    const list = items.get(item) ?? [];
    items.set(item, list);
    if (field !== undefined) list.push(field);
  }
  return items;
}

function parseStatus(json: unknown): string | undefined {
  return isRecord(json) && typeof json.status === "string" ? json.status : undefined;
}

/** One item's secrets. Throws ParseProblem for a missing field or a non-login item without fields. */
function parseItem(item: string, fields: readonly string[], json: unknown): Record<string, string> {
  const doc = isRecord(json) ? json : {};
  const custom = records(doc.fields);
  const fromFields = (names: readonly string[]) => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const field = custom.find((f) => f.name === name);
      if (!field) throw new ParseProblem(`Could not find field ${name} in item ${item} in Bitwarden`);
      out[`${item}/${name}`] = asString(field.value);
    }
    return out;
  };
  if (fields.length > 0) return fromFields(fields);
  const login = isRecord(doc.login) ? doc.login : undefined;
  if (login && typeof login.password === "string") return { [item]: login.password };
  if (custom.length > 0) return fromFields(custom.map((f) => asString(f.name)));
  throw new ParseProblem(`Item ${item} is not a login type item and no fields were specified`);
}

export const bitwarden: SecretsAdapter = {
  name: "bitwarden",
  aliases: [],
  vendor: "Bitwarden",
  cli: "bw",
  requiresAccount: true,
  installUrl: "https://bitwarden.com/help/cli/",
  signInHint: (account) => `sign in with \`bw login ${account ?? "EMAIL"}\` and unlock with \`export BW_SESSION=$(bw unlock --raw)\``,
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const account = request.account!;
    const cli = new VendorCli(this, ctx, account);
    cli.checkInstalled();
    const status = (env?: Record<string, string>) => parseStatus(cli.json(statusArgv(), "Could not get the Bitwarden status", env));
    let state = status();
    if (state === "unauthenticated") {
      cli.signIn(loginArgv(account), `Failed to log in to Bitwarden as ${account}`);
      state = status();
    }
    let session: string | undefined;
    if (state === "locked") {
      session = cli.run(unlockArgv(), "Failed to unlock Bitwarden").trim() || undefined;
      state = status(session ? { BW_SESSION: session } : undefined);
    }
    if (state !== "unlocked") throw cli.error(`Failed to log in to and unlock Bitwarden (status: ${state ?? "unknown"})`);
    const env = session ? { BW_SESSION: session } : undefined;
    cli.run(syncArgv(), "Failed to sync Bitwarden", env);

    const results: Record<string, string> = {};
    for (const [item, fields] of itemsFields(prefixed(request.secrets, request.from))) {
      const json = cli.json(getItemArgv(item), `Could not read ${item} from Bitwarden`, env);
      Object.assign(
        results,
        parsing(cli, () => parseItem(item, fields, json), `check the item and field names in Bitwarden (\`bw get item ${item}\`), or name the fields: ${item}/FIELD`),
      );
    }
    return results;
  },
};
