/**
 * Google Cloud Secret Manager (`gcloud`). `--account` is required: `USER`, `default` (gcloud's
 * active account) or `USER|SA1,SA2` (impersonating a service account chain). Signed in iff
 * `gcloud auth list --format=json` lists an account; otherwise `gcloud auth login` (browser).
 * Secrets are `[PROJECT/]NAME[/VERSION]` (project `default` = gcloud's, version `latest`); each is
 * `gcloud secrets versions access VERSION --secret=NAME [--project=P] [--account=U]
 * [--impersonate-service-account=SA] --format=json`, whose `payload.data` is base64. Keys are
 * `PROJECT/NAME`.
 */
import { isRecord, ParseProblem, parsing, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

const authListArgv = (): string[] => ["gcloud", "auth", "list", "--format=json"];
const loginArgv = (): string[] => ["gcloud", "auth", "login"];

interface GcpSecret {
  project: string;
  name: string;
  version: string;
}

/** `NAME`, `PROJECT/NAME` or `PROJECT/NAME/VERSION`. */
function parseSpec(secret: string): GcpSecret {
  const parts = secret.split("/");
  if (parts.length === 1) parts.unshift("default");
  const [project = "default", name = "", version = "latest"] = parts;
  return { project, name, version };
}

/** `USER` or `USER|SA1,SA2`. */
function parseAccount(account: string): { user: string; serviceAccount?: string } {
  const bar = account.indexOf("|");
  return bar === -1 ? { user: account } : { user: account.slice(0, bar), serviceAccount: account.slice(bar + 1) };
}

function accessArgv(secret: GcpSecret, account: string): string[] {
  const { user, serviceAccount } = parseAccount(account);
  const argv = ["gcloud", "secrets", "versions", "access", secret.version, `--secret=${secret.name}`];
  if (secret.project !== "default") argv.push(`--project=${secret.project}`);
  if (user !== "default") argv.push(`--account=${user}`);
  if (serviceAccount) argv.push(`--impersonate-service-account=${serviceAccount}`);
  argv.push("--format=json");
  return argv;
}

function isLoggedIn(json: unknown): boolean {
  return Array.isArray(json) && json.length > 0;
}

/** The secret's value: `payload.data`, base64 (standard or URL-safe alphabet). */
function parseAccess(json: unknown, what: string): string {
  const payload = isRecord(json) && isRecord(json.payload) ? json.payload : undefined;
  if (!payload || typeof payload.data !== "string") throw new ParseProblem(`${what}: gcloud printed no payload.data`);
  const data = payload.data.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  return new TextDecoder().decode(Uint8Array.from(atob(data.padEnd(Math.ceil(data.length / 4) * 4, "=")), (c) => c.charCodeAt(0)));
}

export const gcpSecretManager: SecretsAdapter = {
  name: "gcp_secret_manager",
  aliases: ["gcp"],
  vendor: "Google Cloud",
  cli: "gcloud",
  requiresAccount: true,
  installUrl: "https://cloud.google.com/sdk/docs/install",
  signInHint: () => "sign in with `gcloud auth login` (pass --account default to use gcloud's active account)",
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const account = request.account!;
    const cli = new VendorCli(this, ctx, account);
    cli.checkInstalled();
    const listed = () => isLoggedIn(cli.json(authListArgv(), "Could not list the gcloud accounts"));
    if (!listed()) {
      cli.signIn(loginArgv(), "Could not log in to gcloud");
      if (!listed()) throw cli.error("Could not log in to gcloud: `gcloud auth list` shows no account");
    }
    const results: Record<string, string> = {};
    for (const secret of prefixed(request.secrets, request.from).map(parseSpec)) {
      const key = `${secret.project}/${secret.name}`;
      const json = cli.json(accessArgv(secret, account), `Could not read ${key} from Google Secret Manager`);
      results[key] = parsing(cli, () => parseAccess(json, key), "check the secret name, project and version");
    }
    return results;
  },
};
