/**
 * LastPass (`lpass`). Signed in iff `lpass status --color never` prints `Logged in as ACCOUNT.`;
 * otherwise `lpass login ACCOUNT` (prompts). One `lpass show NAME... --json`; keys are each
 * entry's `fullname` (`Folder/Item`), values its password. Every name asked for must come back.
 */
import { asString, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

const statusArgv = (): string[] => ["lpass", "status", "--color", "never"];
const loginArgv = (account: string): string[] => ["lpass", "login", account];
const showArgv = (secrets: readonly string[]): string[] => ["lpass", "show", ...secrets, "--json"];

function isLoggedIn(statusOutput: string, account: string): boolean {
  return statusOutput.trim() === `Logged in as ${account}.`;
}

function parseShow(json: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of records(json)) if (typeof item.fullname === "string") out[item.fullname] = asString(item.password);
  return out;
}

export const lastPass: SecretsAdapter = {
  name: "lastpass",
  aliases: ["last_pass"],
  vendor: "LastPass",
  cli: "lpass",
  requiresAccount: true,
  installUrl: "https://github.com/lastpass/lastpass-cli",
  signInHint: (account) => `sign in with \`lpass login ${account ?? "EMAIL"}\``,
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const account = request.account!;
    const cli = new VendorCli(this, ctx, account);
    cli.checkInstalled();
    if (!isLoggedIn(cli.attempt(statusArgv()).stdout, account)) cli.signIn(loginArgv(account), `Failed to log in to LastPass as ${account}`);
    const secrets = prefixed(request.secrets, request.from);
    if (secrets.length === 0) throw cli.error("Nothing to fetch from LastPass: give the entries' names", "e.g. sextant secrets fetch -a lastpass --account EMAIL --from Folder REGISTRY_PASSWORD");
    const results = parseShow(cli.json(showArgv(secrets), `Could not read ${secrets.join(", ")} from LastPass`));
    const missing = secrets.filter((s) => !(s in results));
    if (missing.length > 0) throw cli.error(`Could not find ${missing.join(", ")} in LastPass`, "names are the full names of entries, `Folder/Item` (see `lpass ls`)");
    return results;
  },
};
