/**
 * Each adapter against a stand-in of its vendor CLI: the exact argv sequence (install check,
 * sign-in, fetch), the parsed result, and the error paths (CLI missing, not signed in, secret
 * missing). No error message or hint may contain a secret value (all start with s3cr3t).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { SextantError } from "../../../src/errors.ts";
import { SecretsError } from "../../../src/secrets/errors.ts";
import { fetchSecrets } from "../../../src/secrets/fetch.ts";
import { aws, bw, bws, doppler, enpass, gcloud, lpass, op, passbolt } from "./_cases.ts";
import { FakeClis, type Response } from "./fake-cli.ts";

interface Case {
  name: string;
  adapter: string;
  account?: string;
  from?: string;
  secrets: string[];
  env?: Record<string, string>;
  clis: Record<string, Response[]>;
  watch?: string[];
  calls: string[][];
  /** Environment variables each call saw (for the watched names), when checked. */
  callEnv?: Record<string, string | null>[];
  result?: Record<string, string>;
  error?: { message: string | RegExp; hint?: RegExp };
}

const ok = (argv: string[], stdout?: string | object, extra: Partial<Response> = {}): Response => ({ argv, stdout, status: 0, ...extra });
const fail = (argv: string[], status = 1, extra: Partial<Response> = {}): Response => ({ argv, status, ...extra });

const OP_GET = (item: string, vault: string, ...rest: string[]) => ["op", "item", "get", item, "--vault", vault, "--format", "json", "--account", "my", ...rest];

const cases: Case[] = [
  // ---- 1Password ---------------------------------------------------------------------------
  {
    name: "1password: signed in, fields of one item (--from VAULT/ITEM)",
    adapter: "1password",
    account: "my",
    from: "Vault/Item",
    secrets: ["SECRET1", "section/SECRET2"],
    clis: {
      op: [ok(["op", "--version"], "2.30.0\n"), ok(["op", "account", "get", "--account", "my"], "ID: ABC\n"), ok(OP_GET("Item", "Vault", "--fields", "label=SECRET1,label=section.SECRET2"), [op.field1, op.field2])],
    },
    calls: [["op", "--version"], ["op", "account", "get", "--account", "my"], OP_GET("Item", "Vault", "--fields", "label=SECRET1,label=section.SECRET2")],
    result: { "Vault/Item/SECRET1": "s3cr3t-1", "Vault/Item/section/SECRET2": "s3cr3t-2" },
  },
  {
    name: "1password: not signed in: signs in and passes the session; one call per vault and item; password by default",
    adapter: "one_password",
    account: "my",
    secrets: ["op://Vault/Item", "Vault2/Item2/API"],
    clis: {
      op: [
        ok(["op", "--version"], "2.30.0\n"),
        fail(["op", "account", "get", "--account", "my"]),
        ok(["op", "signin", "--account", "my", "--force", "--raw"], "session-token\n"),
        ok(OP_GET("Item", "Vault", "--session", "session-token", "--fields", "label=password"), op.password),
        ok(OP_GET("Item2", "Vault2", "--session", "session-token", "--fields", "label=API"), op.api),
      ],
    },
    calls: [
      ["op", "--version"],
      ["op", "account", "get", "--account", "my"],
      ["op", "signin", "--account", "my", "--force", "--raw"],
      OP_GET("Item", "Vault", "--session", "session-token", "--fields", "label=password"),
      OP_GET("Item2", "Vault2", "--session", "session-token", "--fields", "label=API"),
    ],
    result: { "Vault/Item": "s3cr3t-pw", "Vault2/Item2/API": "s3cr3t-api" },
  },
  {
    name: "1password: no names: every field of the --from item",
    adapter: "1password",
    account: "my",
    from: "op://Vault/Item",
    secrets: [],
    clis: { op: [ok(["op", "--version"]), ok(["op", "account", "get", "--account", "my"]), ok(OP_GET("Item", "Vault"), op.item)] },
    calls: [["op", "--version"], ["op", "account", "get", "--account", "my"], OP_GET("Item", "Vault")],
    result: { "Vault/Item/username": "admin", "Vault/Item": "s3cr3t-pw" },
  },
  {
    name: "1password: CLI missing",
    adapter: "1password",
    account: "my",
    secrets: ["Vault/Item/A"],
    clis: {},
    calls: [],
    error: { message: /^1Password CLI is not installed \(`op` was not found/, hint: /developer\.1password\.com.*eval \$\(op signin --account my\)/ },
  },
  {
    name: "1password: sign-in fails",
    adapter: "1password",
    account: "my",
    secrets: ["Vault/Item/A"],
    clis: { op: [ok(["op", "--version"]), fail(["op", "account", "get", "--account", "my"]), fail(["op", "signin", "--account", "my", "--force", "--raw"], 1)] },
    calls: [
      ["op", "--version"],
      ["op", "account", "get", "--account", "my"],
      ["op", "signin", "--account", "my", "--force", "--raw"],
    ],
    error: { message: "Failed to sign in to 1Password account my (`op signin` exited with status 1)", hint: /^Sign in with `eval \$\(op signin --account my\)`/ },
  },
  {
    name: "1password: an item that cannot be read",
    adapter: "1password",
    account: "my",
    secrets: ["Vault/Nope/A"],
    clis: { op: [ok(["op", "--version"]), ok(["op", "account", "get", "--account", "my"]), fail(OP_GET("Nope", "Vault", "--fields", "label=A"))] },
    calls: [["op", "--version"], ["op", "account", "get", "--account", "my"], OP_GET("Nope", "Vault", "--fields", "label=A")],
    error: { message: "Could not read A from Nope in the Vault 1Password vault (`op item get Nope` exited with status 1)", hint: /op signin --account my/ },
  },
  {
    name: "1password: --account is required (nothing runs)",
    adapter: "1password",
    secrets: ["Vault/Item/A"],
    clis: { op: [] },
    calls: [],
    error: { message: "No value provided for required options '--account'", hint: /1password adapter needs --account/ },
  },

  // ---- Bitwarden ---------------------------------------------------------------------------
  {
    name: "bitwarden: unlocked; custom field, login password, every field of a note",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["MyItem/API_KEY", "Login", "Note"],
    clis: {
      bw: [
        ok(["bw", "--version"], "2024.9.0\n"),
        ok(["bw", "status"], bw.status("unlocked")),
        ok(["bw", "sync"], "Syncing complete.\n"),
        ok(["bw", "get", "item", "MyItem"], bw.myItem),
        ok(["bw", "get", "item", "Login"], bw.loginItem),
        ok(["bw", "get", "item", "Note"], bw.note),
      ],
    },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "sync"],
      ["bw", "get", "item", "MyItem"],
      ["bw", "get", "item", "Login"],
      ["bw", "get", "item", "Note"],
    ],
    result: { "MyItem/API_KEY": "s3cr3t-api", Login: "s3cr3t-login", "Note/A": "s3cr3t-a", "Note/B": "s3cr3t-b" },
  },
  {
    name: "bitwarden: unauthenticated, then locked: login, unlock; the session goes in BW_SESSION, never in argv",
    adapter: "bitwarden",
    account: "me@example.com",
    from: "MyItem",
    secrets: ["API_KEY"],
    watch: ["BW_SESSION"],
    clis: {
      bw: [
        ok(["bw", "--version"]),
        ok(["bw", "status"], bw.status("unlocked"), { env: { BW_SESSION: "bw-session" } }),
        ok(["bw", "status"], bw.status("unauthenticated"), { once: true }),
        ok(["bw", "login", "me@example.com"], "You are logged in!\n"),
        ok(["bw", "status"], bw.status("locked")),
        ok(["bw", "unlock", "--raw"], "bw-session"),
        ok(["bw", "sync"], "Syncing complete.\n", { env: { BW_SESSION: "bw-session" } }),
        ok(["bw", "get", "item", "MyItem"], bw.myItem, { env: { BW_SESSION: "bw-session" } }),
      ],
    },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "login", "me@example.com"],
      ["bw", "status"],
      ["bw", "unlock", "--raw"],
      ["bw", "status"],
      ["bw", "sync"],
      ["bw", "get", "item", "MyItem"],
    ],
    callEnv: [{ BW_SESSION: null }, { BW_SESSION: null }, { BW_SESSION: null }, { BW_SESSION: null }, { BW_SESSION: null }, { BW_SESSION: "bw-session" }, { BW_SESSION: "bw-session" }, { BW_SESSION: "bw-session" }],
    result: { "MyItem/API_KEY": "s3cr3t-api" },
  },
  {
    name: "bitwarden: unlock fails",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["Login"],
    clis: { bw: [ok(["bw", "--version"]), ok(["bw", "status"], bw.status("locked")), fail(["bw", "unlock", "--raw"])] },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "unlock", "--raw"],
    ],
    error: { message: "Failed to unlock Bitwarden (`bw unlock` exited with status 1)", hint: /^Sign in with `bw login me@example\.com` and unlock with `export BW_SESSION=\$\(bw unlock --raw\)`/ },
  },
  {
    name: "bitwarden: still locked after unlocking",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["Login"],
    clis: { bw: [ok(["bw", "--version"]), ok(["bw", "status"], bw.status("locked")), ok(["bw", "unlock", "--raw"], "")] },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "unlock", "--raw"],
      ["bw", "status"],
    ],
    error: { message: "Failed to log in to and unlock Bitwarden (status: locked)", hint: /bw login me@example\.com/ },
  },
  {
    name: "bitwarden: a missing field",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["MyItem/NOPE"],
    clis: { bw: [ok(["bw", "--version"]), ok(["bw", "status"], bw.status("unlocked")), ok(["bw", "sync"]), ok(["bw", "get", "item", "MyItem"], bw.myItem)] },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "sync"],
      ["bw", "get", "item", "MyItem"],
    ],
    error: { message: "Could not find field NOPE in item MyItem in Bitwarden", hint: /bw get item MyItem/ },
  },
  {
    name: "bitwarden: a note without fields",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["Bare"],
    clis: { bw: [ok(["bw", "--version"]), ok(["bw", "status"], bw.status("unlocked")), ok(["bw", "sync"]), ok(["bw", "get", "item", "Bare"], bw.bareNote)] },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "sync"],
      ["bw", "get", "item", "Bare"],
    ],
    error: { message: "Item Bare is not a login type item and no fields were specified" },
  },
  {
    name: "bitwarden: an item that is not there",
    adapter: "bitwarden",
    account: "me@example.com",
    secrets: ["Nope"],
    clis: { bw: [ok(["bw", "--version"]), ok(["bw", "status"], bw.status("unlocked")), ok(["bw", "sync"]), fail(["bw", "get", "item", "Nope"])] },
    calls: [
      ["bw", "--version"],
      ["bw", "status"],
      ["bw", "sync"],
      ["bw", "get", "item", "Nope"],
    ],
    error: { message: "Could not read Nope from Bitwarden (`bw get item Nope` exited with status 1)" },
  },

  // ---- Bitwarden Secrets Manager -------------------------------------------------------------
  {
    name: "bitwarden-sm: secrets by id",
    adapter: "bitwarden-sm",
    secrets: ["id-1", "id-2"],
    clis: {
      bws: [
        ok(["bws", "--version"], "bws 1.0.0\n"),
        ok(["bws", "project", "list"], []),
        ok(["bws", "secret", "get", "id-1"], bws.secret("id-1", "REGISTRY_PASSWORD", "s3cr3t-reg")),
        ok(["bws", "secret", "get", "id-2"], bws.secret("id-2", "DB_PASSWORD", "s3cr3t-db")),
      ],
    },
    calls: [
      ["bws", "--version"],
      ["bws", "project", "list"],
      ["bws", "secret", "get", "id-1"],
      ["bws", "secret", "get", "id-2"],
    ],
    result: { REGISTRY_PASSWORD: "s3cr3t-reg", DB_PASSWORD: "s3cr3t-db" },
  },
  {
    name: "bitwarden-sm: all",
    adapter: "bitwarden_secrets_manager",
    secrets: ["all"],
    clis: { bws: [ok(["bws", "--version"]), ok(["bws", "project", "list"], []), ok(["bws", "secret", "list"], [bws.secret("1", "A", "s3cr3t-a"), bws.secret("2", "B", "s3cr3t-b")])] },
    calls: [
      ["bws", "--version"],
      ["bws", "project", "list"],
      ["bws", "secret", "list"],
    ],
    result: { A: "s3cr3t-a", B: "s3cr3t-b" },
  },
  {
    name: "bitwarden-sm: PROJECT/all (via --from)",
    adapter: "bitwarden-sm",
    from: "proj-1",
    secrets: ["all"],
    clis: { bws: [ok(["bws", "--version"]), ok(["bws", "project", "list"], []), ok(["bws", "secret", "list", "proj-1"], [bws.secret("1", "A", "s3cr3t-a")])] },
    calls: [
      ["bws", "--version"],
      ["bws", "project", "list"],
      ["bws", "secret", "list", "proj-1"],
    ],
    result: { A: "s3cr3t-a" },
  },
  {
    name: "bitwarden-sm: no valid access token",
    adapter: "bitwarden-sm",
    secrets: ["id-1"],
    clis: { bws: [ok(["bws", "--version"]), fail(["bws", "project", "list"])] },
    calls: [
      ["bws", "--version"],
      ["bws", "project", "list"],
    ],
    error: { message: "Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?", hint: /BWS_ACCESS_TOKEN/ },
  },
  {
    name: "bitwarden-sm: CLI missing",
    adapter: "bitwarden-sm",
    secrets: ["id-1"],
    clis: {},
    calls: [],
    error: { message: /^Bitwarden Secrets Manager CLI is not installed \(`bws`/, hint: /BWS_ACCESS_TOKEN/ },
  },

  // ---- LastPass ----------------------------------------------------------------------------
  {
    name: "lastpass: logged in; --from is the folder",
    adapter: "lastpass",
    account: "me@example.com",
    from: "Folder",
    secrets: ["A", "B"],
    clis: {
      lpass: [
        ok(["lpass", "--version"], "LastPass CLI v1.6.1\n"),
        ok(["lpass", "status", "--color", "never"], "Logged in as me@example.com.\n"),
        ok(["lpass", "show", "Folder/A", "Folder/B", "--json"], [lpass.entry("Folder", "A", "s3cr3t-a"), lpass.entry("Folder", "B", "s3cr3t-b")]),
      ],
    },
    calls: [
      ["lpass", "--version"],
      ["lpass", "status", "--color", "never"],
      ["lpass", "show", "Folder/A", "Folder/B", "--json"],
    ],
    result: { "Folder/A": "s3cr3t-a", "Folder/B": "s3cr3t-b" },
  },
  {
    name: "lastpass: logged out (or as someone else): logs in",
    adapter: "last_pass",
    account: "me@example.com",
    secrets: ["A"],
    clis: {
      lpass: [
        ok(["lpass", "--version"]),
        fail(["lpass", "status", "--color", "never"], 1, { stdout: "Not logged in.\n" }),
        ok(["lpass", "login", "me@example.com"], "Success: Logged in as me@example.com.\n"),
        ok(["lpass", "show", "A", "--json"], [lpass.entry("", "A", "s3cr3t-a")]),
      ],
    },
    calls: [
      ["lpass", "--version"],
      ["lpass", "status", "--color", "never"],
      ["lpass", "login", "me@example.com"],
      ["lpass", "show", "A", "--json"],
    ],
    result: { A: "s3cr3t-a" },
  },
  {
    name: "lastpass: login fails",
    adapter: "lastpass",
    account: "me@example.com",
    secrets: ["A"],
    clis: { lpass: [ok(["lpass", "--version"]), ok(["lpass", "status", "--color", "never"], "Logged in as other@example.com.\n"), fail(["lpass", "login", "me@example.com"])] },
    calls: [
      ["lpass", "--version"],
      ["lpass", "status", "--color", "never"],
      ["lpass", "login", "me@example.com"],
    ],
    error: { message: "Failed to log in to LastPass as me@example.com (`lpass login` exited with status 1)", hint: /^Sign in with `lpass login me@example\.com`/ },
  },
  {
    name: "lastpass: a missing entry",
    adapter: "lastpass",
    account: "me@example.com",
    secrets: ["A", "Nope"],
    clis: { lpass: [ok(["lpass", "--version"]), ok(["lpass", "status", "--color", "never"], "Logged in as me@example.com.\n"), ok(["lpass", "show", "A", "Nope", "--json"], [lpass.entry("", "A", "s3cr3t-a")])] },
    calls: [
      ["lpass", "--version"],
      ["lpass", "status", "--color", "never"],
      ["lpass", "show", "A", "Nope", "--json"],
    ],
    error: { message: "Could not find Nope in LastPass", hint: /lpass ls/ },
  },

  // ---- AWS Secrets Manager -----------------------------------------------------------------
  {
    name: "aws_secrets_manager: JSON secrets expand to NAME/KEY, plain ones stay NAME; --account is the profile",
    adapter: "aws_secrets_manager",
    account: "prod",
    from: "myapp",
    secrets: ["db", "api"],
    clis: {
      aws: [
        ok(["aws", "--version"], "aws-cli/2.17.0 Python/3.11.9 Linux/6.1 exe/x86_64\n"),
        ok(["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "myapp/db", "myapp/api", "--profile", "prod", "--output", "json"], {
          SecretValues: [aws.value("myapp/db", JSON.stringify({ user: "app", password: "s3cr3t-db", port: 5432 })), aws.value("myapp/api", "s3cr3t-api")],
          Errors: [],
        }),
      ],
    },
    calls: [
      ["aws", "--version"],
      ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "myapp/db", "myapp/api", "--profile", "prod", "--output", "json"],
    ],
    result: { "myapp/db/user": "app", "myapp/db/password": "s3cr3t-db", "myapp/db/port": "5432", "myapp/api": "s3cr3t-api" },
  },
  {
    name: "aws_secrets_manager: no profile; API errors per secret",
    adapter: "aws_secrets_manager",
    secrets: ["ok", "nope"],
    clis: {
      aws: [
        ok(["aws", "--version"]),
        ok(["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "ok", "nope", "--output", "json"], {
          SecretValues: [aws.value("ok", "s3cr3t-ok")],
          Errors: [{ SecretId: "nope", ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." }],
        }),
      ],
    },
    calls: [
      ["aws", "--version"],
      ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "ok", "nope", "--output", "json"],
    ],
    error: { message: "nope: Secrets Manager can't find the specified secret.", hint: /check the secret names/ },
  },
  {
    name: "aws_secrets_manager: no credentials",
    adapter: "aws_secrets_manager",
    account: "prod",
    secrets: ["db"],
    clis: { aws: [ok(["aws", "--version"]), fail(["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "db", "--profile", "prod", "--output", "json"], 255)] },
    calls: [
      ["aws", "--version"],
      ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", "db", "--profile", "prod", "--output", "json"],
    ],
    error: { message: "Could not read db from AWS Secrets Manager (`aws secretsmanager batch-get-secret-value` exited with status 255)", hint: /aws sso login --profile prod/ },
  },

  // ---- Google Cloud Secret Manager ----------------------------------------------------------
  {
    name: "gcp: default account and project, latest version",
    adapter: "gcp",
    account: "default",
    secrets: ["db-password"],
    clis: {
      gcloud: [
        ok(["gcloud", "--version"], "Google Cloud SDK 490.0.0\n"),
        ok(["gcloud", "auth", "list", "--format=json"], gcloud.account),
        ok(["gcloud", "secrets", "versions", "access", "latest", "--secret=db-password", "--format=json"], gcloud.access("db-password", "s3cr3t-db")),
      ],
    },
    calls: [
      ["gcloud", "--version"],
      ["gcloud", "auth", "list", "--format=json"],
      ["gcloud", "secrets", "versions", "access", "latest", "--secret=db-password", "--format=json"],
    ],
    result: { "default/db-password": "s3cr3t-db" },
  },
  {
    name: "gcp: user with an impersonation chain, project and version",
    adapter: "gcp_secret_manager",
    account: "me@example.com|sa@my-project.iam.gserviceaccount.com,sa2@my-project.iam.gserviceaccount.com",
    from: "my-project",
    secrets: ["api-key/2"],
    clis: {
      gcloud: [
        ok(["gcloud", "--version"]),
        ok(["gcloud", "auth", "list", "--format=json"], gcloud.account),
        ok(
          [
            "gcloud",
            "secrets",
            "versions",
            "access",
            "2",
            "--secret=api-key",
            "--project=my-project",
            "--account=me@example.com",
            "--impersonate-service-account=sa@my-project.iam.gserviceaccount.com,sa2@my-project.iam.gserviceaccount.com",
            "--format=json",
          ],
          gcloud.access("api-key", "s3cr3t-api ünïcode\n"),
        ),
      ],
    },
    calls: [
      ["gcloud", "--version"],
      ["gcloud", "auth", "list", "--format=json"],
      [
        "gcloud",
        "secrets",
        "versions",
        "access",
        "2",
        "--secret=api-key",
        "--project=my-project",
        "--account=me@example.com",
        "--impersonate-service-account=sa@my-project.iam.gserviceaccount.com,sa2@my-project.iam.gserviceaccount.com",
        "--format=json",
      ],
    ],
    result: { "my-project/api-key": "s3cr3t-api ünïcode\n" },
  },
  {
    name: "gcp: no account signed in: gcloud auth login",
    adapter: "gcp",
    account: "default",
    secrets: ["p/x"],
    clis: {
      gcloud: [
        ok(["gcloud", "--version"]),
        ok(["gcloud", "auth", "list", "--format=json"], [], { once: true }),
        ok(["gcloud", "auth", "login"]),
        ok(["gcloud", "auth", "list", "--format=json"], gcloud.account),
        ok(["gcloud", "secrets", "versions", "access", "latest", "--secret=x", "--project=p", "--format=json"], gcloud.access("x", "s3cr3t-x")),
      ],
    },
    calls: [
      ["gcloud", "--version"],
      ["gcloud", "auth", "list", "--format=json"],
      ["gcloud", "auth", "login"],
      ["gcloud", "auth", "list", "--format=json"],
      ["gcloud", "secrets", "versions", "access", "latest", "--secret=x", "--project=p", "--format=json"],
    ],
    result: { "p/x": "s3cr3t-x" },
  },
  {
    name: "gcp: still no account after logging in",
    adapter: "gcp",
    account: "default",
    secrets: ["x"],
    clis: { gcloud: [ok(["gcloud", "--version"]), ok(["gcloud", "auth", "list", "--format=json"], []), ok(["gcloud", "auth", "login"])] },
    calls: [
      ["gcloud", "--version"],
      ["gcloud", "auth", "list", "--format=json"],
      ["gcloud", "auth", "login"],
      ["gcloud", "auth", "list", "--format=json"],
    ],
    error: { message: "Could not log in to gcloud: `gcloud auth list` shows no account", hint: /gcloud auth login/ },
  },
  {
    name: "gcp: a secret that cannot be read",
    adapter: "gcp",
    account: "default",
    secrets: ["nope"],
    clis: { gcloud: [ok(["gcloud", "--version"]), ok(["gcloud", "auth", "list", "--format=json"], gcloud.account), fail(["gcloud", "secrets", "versions", "access", "latest", "--secret=nope", "--format=json"])] },
    calls: [
      ["gcloud", "--version"],
      ["gcloud", "auth", "list", "--format=json"],
      ["gcloud", "secrets", "versions", "access", "latest", "--secret=nope", "--format=json"],
    ],
    error: { message: "Could not read default/nope from Google Secret Manager (`gcloud secrets versions access` exited with status 1)" },
  },

  // ---- Doppler -----------------------------------------------------------------------------
  {
    name: "doppler: project and config from --from",
    adapter: "doppler",
    from: "my-project/prd",
    secrets: ["A", "B"],
    clis: {
      doppler: [
        ok(["doppler", "--version"], "v3.69.0\n"),
        ok(["doppler", "me", "--json"], doppler.me),
        ok(["doppler", "secrets", "get", "A", "B", "--json", "-p", "my-project", "-c", "prd"], { A: doppler.secret("s3cr3t-a"), B: doppler.secret("s3cr3t-b") }),
      ],
    },
    calls: [
      ["doppler", "--version"],
      ["doppler", "me", "--json"],
      ["doppler", "secrets", "get", "A", "B", "--json", "-p", "my-project", "-c", "prd"],
    ],
    result: { A: "s3cr3t-a", B: "s3cr3t-b" },
  },
  {
    name: "doppler: a service token decides project and config; logs in when `me` fails",
    adapter: "doppler",
    secrets: ["A"],
    env: { DOPPLER_TOKEN: "dp.st.prd.abc" },
    clis: {
      doppler: [ok(["doppler", "--version"]), fail(["doppler", "me", "--json"]), ok(["doppler", "login", "-y"]), ok(["doppler", "secrets", "get", "A", "--json"], { A: doppler.secret("s3cr3t-a") })],
    },
    calls: [
      ["doppler", "--version"],
      ["doppler", "me", "--json"],
      ["doppler", "login", "-y"],
      ["doppler", "secrets", "get", "A", "--json"],
    ],
    result: { A: "s3cr3t-a" },
  },
  {
    name: "doppler: no project/config",
    adapter: "doppler",
    secrets: ["A"],
    clis: { doppler: [ok(["doppler", "--version"]), ok(["doppler", "me", "--json"], doppler.me)] },
    calls: [
      ["doppler", "--version"],
      ["doppler", "me", "--json"],
    ],
    error: { message: "Missing project or config from '--from=project/config' option", hint: /--from my-project\/prd/ },
  },
  {
    name: "doppler: login fails",
    adapter: "doppler",
    from: "p/c",
    secrets: ["A"],
    clis: { doppler: [ok(["doppler", "--version"]), fail(["doppler", "me", "--json"]), fail(["doppler", "login", "-y"])] },
    calls: [
      ["doppler", "--version"],
      ["doppler", "me", "--json"],
      ["doppler", "login", "-y"],
    ],
    error: { message: "Failed to log in to Doppler (`doppler login` exited with status 1)", hint: /^Sign in with `doppler login`/ },
  },

  // ---- Enpass ------------------------------------------------------------------------------
  {
    name: "enpass: --from is the vault; TITLE/LABEL and TITLE",
    adapter: "enpass",
    from: "/vaults/primary",
    secrets: ["FooBar/DB_PASSWORD", "Other"],
    clis: { "enpass-cli": [ok(["enpass-cli", "version"], "v1.6.0\n"), ok(["enpass-cli", "-json", "-vault", "/vaults/primary", "show", "FooBar", "Other"], enpass)] },
    calls: [
      ["enpass-cli", "version"],
      ["enpass-cli", "-json", "-vault", "/vaults/primary", "show", "FooBar", "Other"],
    ],
    result: { "FooBar/DB_PASSWORD": "s3cr3t-db", Other: "s3cr3t-other" },
  },
  {
    name: "enpass: a title alone gives every labelled password of the item",
    adapter: "enpass",
    from: "/vaults/primary",
    secrets: ["FooBar"],
    clis: { "enpass-cli": [ok(["enpass-cli", "version"]), ok(["enpass-cli", "-json", "-vault", "/vaults/primary", "show", "FooBar"], enpass)] },
    calls: [
      ["enpass-cli", "version"],
      ["enpass-cli", "-json", "-vault", "/vaults/primary", "show", "FooBar"],
    ],
    result: { "FooBar/DB_PASSWORD": "s3cr3t-db", "FooBar/API": "s3cr3t-api" },
  },
  {
    name: "enpass: the same key twice",
    adapter: "enpass",
    from: "/v",
    secrets: ["FooBar"],
    clis: { "enpass-cli": [ok(["enpass-cli", "version"]), ok(["enpass-cli", "-json", "-vault", "/v", "show", "FooBar"], [enpass[0], enpass[0]])] },
    calls: [
      ["enpass-cli", "version"],
      ["enpass-cli", "-json", "-vault", "/v", "show", "FooBar"],
    ],
    error: { message: "FooBar/DB_PASSWORD is present more than once" },
  },
  {
    name: "enpass: no vault",
    adapter: "enpass",
    secrets: ["FooBar"],
    clis: { "enpass-cli": [ok(["enpass-cli", "version"])] },
    calls: [["enpass-cli", "version"]],
    error: { message: "Enpass needs the vault: pass its directory with --from", hint: /--from/ },
  },
  {
    name: "enpass: CLI missing (checked with `enpass-cli version`)",
    adapter: "enpass",
    from: "/v",
    secrets: ["FooBar"],
    clis: { "enpass-cli": [fail(["enpass-cli", "version"], 127)] },
    calls: [["enpass-cli", "version"]],
    error: { message: /^Enpass CLI is not installed/, hint: /github\.com\/hazcod\/enpass-cli/ },
  },

  // ---- Passbolt ----------------------------------------------------------------------------
  {
    name: "passbolt: root-level resources",
    adapter: "passbolt",
    secrets: ["DB_PASSWORD", "API_KEY"],
    clis: {
      passbolt: [
        ok(["passbolt", "--version"], "passbolt version 0.3.2\n"),
        ok(["passbolt", "verify"], "Verification successful\n"),
        ok(
          ["passbolt", "list", "resources", "--filter", 'Name == "DB_PASSWORD" || Name == "API_KEY"', "--column", "name", "--column", "password", "--json"],
          [passbolt.resource("DB_PASSWORD", "s3cr3t-db"), passbolt.resource("API_KEY", "s3cr3t-api")],
        ),
      ],
    },
    calls: [
      ["passbolt", "--version"],
      ["passbolt", "verify"],
      ["passbolt", "list", "resources", "--filter", 'Name == "DB_PASSWORD" || Name == "API_KEY"', "--column", "name", "--column", "password", "--json"],
    ],
    result: { DB_PASSWORD: "s3cr3t-db", API_KEY: "s3cr3t-api" },
  },
  {
    name: "passbolt: folders and a nested folder",
    adapter: "passbolt",
    from: "Prod",
    secrets: ["DB_PASSWORD", "Sub/API_KEY"],
    clis: {
      passbolt: [
        ok(["passbolt", "--version"]),
        ok(["passbolt", "verify"]),
        ok(["passbolt", "list", "folders", "--filter", 'Name == "Prod"', "--json"], [passbolt.folder("f-prod", "Prod")]),
        ok(["passbolt", "list", "folders", "--filter", 'Name == "Sub" && FolderParentID == "f-prod"', "--json"], [passbolt.folder("f-sub", "Sub", "f-prod")]),
        ok(
          [
            "passbolt",
            "list",
            "resources",
            "--filter",
            '(Name == "DB_PASSWORD" && FolderParentID == "f-prod") || (Name == "API_KEY" && FolderParentID == "f-sub")',
            "--folder",
            "f-prod",
            "--folder",
            "f-sub",
            "--column",
            "name",
            "--column",
            "password",
            "--json",
          ],
          [passbolt.resource("DB_PASSWORD", "s3cr3t-db"), passbolt.resource("API_KEY", "s3cr3t-api")],
        ),
      ],
    },
    calls: [
      ["passbolt", "--version"],
      ["passbolt", "verify"],
      ["passbolt", "list", "folders", "--filter", 'Name == "Prod"', "--json"],
      ["passbolt", "list", "folders", "--filter", 'Name == "Sub" && FolderParentID == "f-prod"', "--json"],
      [
        "passbolt",
        "list",
        "resources",
        "--filter",
        '(Name == "DB_PASSWORD" && FolderParentID == "f-prod") || (Name == "API_KEY" && FolderParentID == "f-sub")',
        "--folder",
        "f-prod",
        "--folder",
        "f-sub",
        "--column",
        "name",
        "--column",
        "password",
        "--json",
      ],
    ],
    result: { DB_PASSWORD: "s3cr3t-db", API_KEY: "s3cr3t-api" },
  },
  {
    name: "passbolt: a missing folder",
    adapter: "passbolt",
    secrets: ["Nope/A"],
    clis: { passbolt: [ok(["passbolt", "--version"]), ok(["passbolt", "verify"]), ok(["passbolt", "list", "folders", "--filter", 'Name == "Nope"', "--json"], [])] },
    calls: [
      ["passbolt", "--version"],
      ["passbolt", "verify"],
      ["passbolt", "list", "folders", "--filter", 'Name == "Nope"', "--json"],
    ],
    error: { message: "Could not find the following folders in Passbolt: Nope", hint: /passbolt list folders/ },
  },
  {
    name: "passbolt: a missing resource",
    adapter: "passbolt",
    secrets: ["A", "B"],
    clis: {
      passbolt: [
        ok(["passbolt", "--version"]),
        ok(["passbolt", "verify"]),
        ok(["passbolt", "list", "resources", "--filter", 'Name == "A" || Name == "B"', "--column", "name", "--column", "password", "--json"], [passbolt.resource("A", "s3cr3t-a")]),
      ],
    },
    calls: [
      ["passbolt", "--version"],
      ["passbolt", "verify"],
      ["passbolt", "list", "resources", "--filter", 'Name == "A" || Name == "B"', "--column", "name", "--column", "password", "--json"],
    ],
    error: { message: "Could not find the following secrets in Passbolt: B" },
  },
  {
    name: "passbolt: not configured",
    adapter: "passbolt",
    secrets: ["A"],
    clis: { passbolt: [ok(["passbolt", "--version"]), fail(["passbolt", "verify"])] },
    calls: [
      ["passbolt", "--version"],
      ["passbolt", "verify"],
    ],
    error: { message: "Failed to log in to Passbolt (`passbolt verify` exited with status 1)", hint: /passbolt configure/ },
  },

  // ---- test and unknown ---------------------------------------------------------------------
  {
    name: "test: names reversed, LPAREN/RPAREN as parentheses",
    adapter: "test",
    account: "x",
    from: "f",
    secrets: ["abc", "xLPARENyRPAREN"],
    clis: {},
    calls: [],
    result: { "f/abc": "cba/f", "f/xLPARENyRPAREN": ")y(x/f" },
  },
  {
    name: "unknown adapter",
    adapter: "vault",
    secrets: ["A"],
    clis: {},
    calls: [],
    error: { message: "Unknown secrets adapter: vault", hint: /1password, bitwarden, bitwarden-sm, lastpass, aws_secrets_manager, gcp_secret_manager, doppler, passbolt, enpass$/ },
  },
];

let clis: FakeClis | undefined;
afterEach(() => {
  clis?.remove();
  clis = undefined;
});

describe("secrets adapters against stand-in vendor CLIs", () => {
  for (const c of cases) {
    test(c.name, () => {
      clis = new FakeClis();
      for (const [name, responses] of Object.entries(c.clis)) clis.add(name, responses, c.watch ?? []);
      const run = clis.runner(c.env);
      const attempt = () => fetchSecrets({ adapter: c.adapter, account: c.account, from: c.from, secrets: c.secrets, run, env: clis!.env(c.env) });
      if (c.error) {
        let error: unknown;
        try {
          attempt();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SecretsError);
        const { message, hint } = error as SextantError;
        if (typeof c.error.message === "string") expect(message).toBe(c.error.message);
        else expect(message).toMatch(c.error.message);
        if (c.error.hint) expect(hint ?? "").toMatch(c.error.hint);
        // Values never reach messages.
        expect(`${message}\n${hint ?? ""}`).not.toContain("s3cr3t");
      } else {
        expect(attempt()).toEqual(c.result!);
      }
      expect(clis.argvs()).toEqual(c.calls);
      if (c.callEnv) expect(clis.calls().map((call) => call.env)).toEqual(c.callEnv);
    });
  }
});
