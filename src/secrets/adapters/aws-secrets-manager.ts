/**
 * AWS Secrets Manager (`aws`). No sign-in step (the CLI's credentials); `--account` is the
 * optional profile. One `aws secretsmanager batch-get-secret-value --secret-id-list ID...
 * [--profile P] --output json`. A secret whose string is a JSON object expands to `NAME/KEY` (other
 * JSON values are kept as JSON text); any other string is `NAME`. API errors are reported per id.
 */
import { asString, isRecord, ParseProblem, parsing, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

function batchGetArgv(secrets: readonly string[], profile?: string): string[] {
  return ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", ...secrets, ...(profile ? ["--profile", profile] : []), "--output", "json"];
}

function parseBatch(json: unknown): Record<string, string> {
  const doc = isRecord(json) ? json : {};
  const errors = records(doc.Errors);
  if (errors.length > 0) throw new ParseProblem(errors.map((e) => `${asString(e.SecretId)}: ${asString(e.Message)}`).join(" "));
  const out: Record<string, string> = {};
  for (const secret of records(doc.SecretValues)) {
    const name = asString(secret.Name);
    if (typeof secret.SecretString !== "string") throw new ParseProblem(`${name} has no string value (binary secrets are not supported)`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(secret.SecretString);
    } catch {
      parsed = undefined;
    }
    if (isRecord(parsed)) for (const [key, value] of Object.entries(parsed)) out[`${name}/${key}`] = asString(value);
    else out[name] = secret.SecretString;
  }
  return out;
}

export const awsSecretsManager: SecretsAdapter = {
  name: "aws_secrets_manager",
  aliases: [],
  vendor: "AWS",
  cli: "aws",
  requiresAccount: false,
  installUrl: "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
  signInHint: (account) => `configure credentials with \`aws configure${account ? ` --profile ${account}` : ""}\` or \`aws sso login${account ? ` --profile ${account}` : ""}\``,
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const cli = new VendorCli(this, ctx, request.account);
    cli.checkInstalled();
    const secrets = prefixed(request.secrets, request.from);
    if (secrets.length === 0) throw cli.error("Nothing to fetch from AWS Secrets Manager: give the secrets' names or ARNs", "e.g. sextant secrets fetch -a aws_secrets_manager --from myapp REGISTRY_PASSWORD");
    const json = cli.json(batchGetArgv(secrets, request.account), `Could not read ${secrets.join(", ")} from AWS Secrets Manager`);
    return parsing(cli, () => parseBatch(json), "check the secret names and that your AWS credentials may read them (secretsmanager:BatchGetSecretValue and GetSecretValue)");
  },
};
