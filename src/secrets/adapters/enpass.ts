/**
 * Enpass (`enpass-cli`). Offline: no account and no sign-in; `--from` is the vault's path and
 * enpass-cli asks for the master password itself. One `enpass-cli -json -vault VAULT show TITLE...`
 * (titles: the part before the last `/` of each name, or the whole name). Keys are `TITLE/LABEL`
 * (or `TITLE` for an empty label); only entries asked for (by title or by key) are kept, and a key
 * found twice is an error.
 */
import { asString, ParseProblem, parsing, records, VendorCli } from "./common.ts";
import type { AdapterContext, FetchRequest, SecretsAdapter } from "./types.ts";

const versionArgv = (): string[] => ["enpass-cli", "version"];

/** Distinct titles in order: `Item/Label` -> `Item`, `Item` -> `Item`. */
function titles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    const slash = secret.lastIndexOf("/");
    out.add(slash <= 0 ? secret.slice(slash + 1) : secret.slice(0, slash));
  }
  return [...out];
}

function showArgv(vault: string, secrets: readonly string[]): string[] {
  return ["enpass-cli", "-json", "-vault", vault, "show", ...titles(secrets)];
}

function parseShow(json: unknown, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of records(json)) {
    const title = typeof entry.title === "string" ? entry.title : undefined;
    const password = asString(entry.password);
    if (!title || password.trim() === "") continue;
    const label = asString(entry.label);
    const key = label === "" ? title : `${title}/${label}`;
    if (!secrets.includes(title) && !secrets.includes(key)) continue;
    if (key in out) throw new ParseProblem(`${key} is present more than once`);
    out[key] = password;
  }
  return out;
}

export const enpass: SecretsAdapter = {
  name: "enpass",
  aliases: [],
  vendor: "Enpass",
  cli: "enpass-cli",
  requiresAccount: false,
  installUrl: "https://github.com/hazcod/enpass-cli",
  signInHint: () => "pass the vault's directory with --from (enpass-cli asks for the master password, or reads it from MASTERPW)",
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const cli = new VendorCli(this, ctx);
    cli.checkInstalled(versionArgv());
    if (!request.from) throw cli.error("Enpass needs the vault: pass its directory with --from", "e.g. sextant secrets fetch -a enpass --from ~/Documents/Enpass/Vaults/primary MyItem");
    if (request.secrets.length === 0) throw cli.error("Nothing to fetch from Enpass: give the items' titles (TITLE or TITLE/LABEL)");
    const json = cli.json(showArgv(request.from, request.secrets), `Could not read ${request.secrets.join(", ")} from Enpass`);
    return parsing(cli, () => parseShow(json, request.secrets), "give each field a distinct label in Enpass, or ask for TITLE/LABEL");
  },
};
