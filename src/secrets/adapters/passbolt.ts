/**
 * Passbolt (`passbolt`, go-passbolt-cli). No account; `passbolt verify` checks the configured
 * server and key. Secrets are `[FOLDER/...]NAME`. Folders are looked up first: the top-level ones
 * with `passbolt list folders --filter 'Name == "F" || ...' --json`, nested ones level by level with
 * `--filter 'Name == "SUB" && FolderParentID == "ID"'`. Then one `passbolt list resources --filter
 * '...' --folder ID... --column name --column password --json`. Keys are resource names.
 */
import { asString, records, VendorCli } from "./common.ts";
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

interface PassboltFolder {
  id: string;
  name: string;
  folder_parent_id?: string | null;
}

const verifyArgv = (): string[] => ["passbolt", "verify"];

const quote = (text: string) => JSON.stringify(text);

function topFoldersArgv(names: readonly string[]): string[] {
  return ["passbolt", "list", "folders", "--filter", names.map((n) => `Name == ${quote(n)}`).join(" || "), "--json"];
}

function nestedFolderArgv(name: string, parentId: string): string[] {
  return ["passbolt", "list", "folders", "--filter", `Name == ${quote(name)} && FolderParentID == ${quote(parentId)}`, "--json"];
}

function resourcesArgv(filter: string, folders: readonly PassboltFolder[]): string[] {
  return ["passbolt", "list", "resources", ...(filter ? ["--filter", filter] : []), ...folders.flatMap((f) => ["--folder", f.id]), "--column", "name", "--column", "password", "--json"];
}

/** The folder paths the secrets live in (`a/b/NAME` -> `a/b`), distinct, in order. */
function folderPaths(secrets: readonly string[]): string[][] {
  const seen = new Map<string, string[]>();
  for (const secret of secrets) {
    const parts = secret.split("/");
    if (parts.length > 1) seen.set(parts.slice(0, -1).join("/"), parts.slice(0, -1));
  }
  return [...seen.values()];
}

function folderPath(folder: PassboltFolder, all: readonly PassboltFolder[]): string {
  const path = [folder.name];
  let current = folder;
  const visited = new Set<string>([folder.id]);
  while (current.folder_parent_id) {
    const parent = all.find((f) => f.id === current.folder_parent_id);
    if (!parent || visited.has(parent.id)) break;
    visited.add(parent.id);
    path.unshift(parent.name);
    current = parent;
  }
  return path.join("/");
}

/** The `--filter` of `list resources`: one condition per secret, in its folder when it has one. */
function resourcesFilter(secrets: readonly string[], folders: readonly PassboltFolder[]): string {
  const conditions: string[] = [];
  for (const secret of secrets) {
    const parts = secret.split("/");
    const name = parts[parts.length - 1]!;
    if (parts.length === 1) {
      conditions.push(`Name == ${quote(name)}`);
      continue;
    }
    const path = parts.slice(0, -1).join("/");
    const folder = folders.find((f) => folderPath(f, folders) === path);
    if (folder) conditions.push(`(Name == ${quote(name)} && FolderParentID == ${quote(folder.id)})`);
  }
  return conditions.join(" || ");
}

function parseFolders(json: unknown): PassboltFolder[] {
  return records(json)
    .filter((f) => typeof f.id === "string" && typeof f.name === "string")
    .map((f) => ({ id: f.id as string, name: f.name as string, folder_parent_id: typeof f.folder_parent_id === "string" ? f.folder_parent_id : null }));
}

function parseResources(json: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of records(json)) if (typeof item.name === "string") out[item.name] = asString(item.password);
  return out;
}

export const passbolt: SecretsAdapter = {
  name: "passbolt",
  aliases: [],
  vendor: "Passbolt",
  cli: "passbolt",
  requiresAccount: false,
  installUrl: "https://github.com/passbolt/go-passbolt-cli",
  signInHint: () => "configure the CLI with `passbolt configure --serverAddress URL --userPrivateKeyFile KEY --userPassword PASSPHRASE` and check it with `passbolt verify`",
  fetch(ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    const cli = new VendorCli(this, ctx);
    cli.checkInstalled();
    cli.run(verifyArgv(), "Failed to log in to Passbolt");
    const secrets = prefixed(request.secrets, request.from);
    if (secrets.length === 0) throw cli.error("No secrets given to fetch from Passbolt", "e.g. sextant secrets fetch -a passbolt --from MyFolder DB_PASSWORD");

    const paths = folderPaths(secrets);
    const folders: PassboltFolder[] = [];
    if (paths.length > 0) {
      const topNames = [...new Set(paths.map((p) => p[0]!))];
      const top = parseFolders(cli.json(topFoldersArgv(topNames), "Could not read folders from Passbolt"));
      folders.push(...top);
      for (const path of paths) {
        let parent = top.find((f) => f.name === path[0]);
        for (const name of path.slice(1)) {
          if (!parent) break;
          const result = cli.attempt(nestedFolderArgv(name, parent.id));
          if (result.status !== 0) continue;
          const nested = parseFolders(cli.parse(result.stdout, nestedFolderArgv(name, parent.id)));
          if (nested.length === 0) break;
          folders.push(...nested.filter((f) => !folders.some((g) => g.id === f.id)));
          parent = nested[0];
        }
      }
      const found = new Set(folders.map((f) => folderPath(f, folders)));
      const missing = paths.map((p) => p.join("/")).filter((p) => !found.has(p));
      if (missing.length > 0) throw cli.error(`Could not find the following folders in Passbolt: ${missing.join(", ")}`, "check the folder names (`passbolt list folders`)");
    }

    const filter = resourcesFilter(secrets, folders);
    const results = parseResources(cli.json(resourcesArgv(filter, folders), `Could not read ${secrets.join(", ")} from Passbolt`));
    const names = secrets.map((s) => s.split("/").pop()!);
    const missing = names.filter((n) => !(n in results));
    if (missing.length > 0) throw cli.error(`Could not find the following secrets in Passbolt: ${missing.join(", ")}`, "check the names (`passbolt list resources`)");
    return results;
  },
};
