/**
 * Bitwarden Secrets Manager (`bws`). No account: the CLI authenticates with the access token in
 * BWS_ACCESS_TOKEN, checked by `bws project list`. Secrets are secret ids (`bws secret get ID`);
 * a single `all` lists every secret (`bws secret list`), a single `PROJECT/all` a project's
 * (`bws secret list PROJECT`). Keys are the secrets' `key`.
 */
import { asString, isRecord, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

const signedInArgv = (): string[] => ["bws", "project", "list"];
const getArgv = (id: string): string[] => ["bws", "secret", "get", id];

/** For a single `all` or `PROJECT/all`: the list command. Otherwise undefined (one get per id). */
function listArgv(secrets: readonly string[]): string[] | undefined {
  if (secrets.length !== 1) return undefined;
  const [only] = secrets as [string];
  if (only === "all") return ["bws", "secret", "list"];
  if (only.endsWith("/all")) return ["bws", "secret", "list", only.slice(0, -"/all".length)];
  return undefined;
}

function parseSecret(json: unknown): Record<string, string> {
  return isRecord(json) && typeof json.key === "string" ? { [json.key]: asString(json.value) } : {};
}

function parseList(json: unknown): Record<string, string> {
  return Object.assign({}, ...records(json).map(parseSecret));
}

export const bitwardenSecretsManager: SecretsAdapter = {
  name: "bitwarden-sm",
  aliases: ["bitwarden_secrets_manager"],
  vendor: "Bitwarden Secrets Manager",
  cli: "bws",
  requiresAccount: false,
  installUrl: "https://bitwarden.com/help/secrets-manager-cli/",
  signInHint: () => "set BWS_ACCESS_TOKEN to a machine account access token (check it with `bws project list`)",
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const cli = new VendorCli(this, ctx);
    cli.checkInstalled();
    if (request.secrets.length === 0) throw cli.error("You must specify what to retrieve from Bitwarden Secrets Manager", "give secret ids, `all`, or `PROJECT_ID/all`");
    if (cli.attempt(signedInArgv()).status !== 0) {
      throw cli.error("Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?");
    }
    const secrets = prefixed(request.secrets, request.from);
    const list = listArgv(secrets);
    if (list) return parseList(cli.json(list, "Could not read secrets from Bitwarden Secrets Manager"));
    const results: Record<string, string> = {};
    for (const id of secrets) Object.assign(results, parseSecret(cli.json(getArgv(id), `Could not read ${id} from Bitwarden Secrets Manager`)));
    return results;
  },
};
