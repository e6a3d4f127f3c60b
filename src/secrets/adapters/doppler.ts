/**
 * Doppler (`doppler`). Signed in iff `doppler me --json` succeeds; otherwise `doppler login -y`.
 * One `doppler secrets get NAME... --json -p PROJECT -c CONFIG`, where PROJECT/CONFIG come from
 * `--from PROJECT/CONFIG` (or from the secret names); with a service token in DOPPLER_TOKEN
 * (`dp.st...`) the token decides, and no -p/-c is passed. Keys are the names, values `computed`.
 */
import { asString, isRecord, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

const meArgv = (): string[] => ["doppler", "me", "--json"];
const loginArgv = (): string[] => ["doppler", "login", "-y"];

function isServiceToken(token: string | undefined): boolean {
  return !!token && token.startsWith("dp.st");
}

/** The argv, or undefined when project/config are needed but missing. */
function secretsGetArgv(secrets: readonly string[], serviceToken: boolean): string[] | undefined {
  const names = secrets.map((s) => s.split("/").pop() ?? s);
  const argv = ["doppler", "secrets", "get", ...names, "--json"];
  if (serviceToken) return argv;
  const [project, config] = (secrets[0] ?? "").split("/");
  if (!project || config === undefined) return undefined;
  return [...argv, "-p", project, "-c", config];
}

function parseSecrets(json: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(json)) for (const [name, value] of Object.entries(json)) out[name] = isRecord(value) ? asString(value.computed) : asString(value);
  return out;
}

export const doppler: SecretsAdapter = {
  name: "doppler",
  aliases: [],
  vendor: "Doppler",
  cli: "doppler",
  requiresAccount: false,
  installUrl: "https://docs.doppler.com/docs/install-cli",
  signInHint: () => "sign in with `doppler login` (or set DOPPLER_TOKEN to a service token)",
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const cli = new VendorCli(this, ctx);
    cli.checkInstalled();
    if (cli.attempt(meArgv()).status !== 0) cli.signIn(loginArgv(), "Failed to log in to Doppler");
    const secrets = prefixed(request.secrets, request.from);
    if (secrets.length === 0) throw cli.error("Nothing to fetch from Doppler: give the secrets' names", "e.g. sextant secrets fetch -a doppler --from my-project/prd REGISTRY_PASSWORD");
    const argv = secretsGetArgv(secrets, isServiceToken(ctx.env.DOPPLER_TOKEN));
    if (!argv) throw cli.error("Missing project or config from '--from=project/config' option", "e.g. --from my-project/prd, or set DOPPLER_TOKEN to a service token");
    return parseSecrets(cli.json(argv, `Could not read ${secrets.join(", ")} from Doppler`));
  },
};
