/**
 * Validation: the schema first (every problem at once, with file:line:col), then Kamal's semantic
 * checks, in Kamal's order, on the derived model (each section's in its `<section>-check.ts`),
 * again collecting every problem.
 */
import * as v from "valibot";
import { closest } from "../suggest.ts";
import { checkAccessories } from "./accessory-check.ts";
import { checkBuilder, checkRemoteBuilderWithLocalRegistry } from "./builder-check.ts";
import { type Add, describeValue } from "./check.ts";
import type { Position, Problem } from "./errors.ts";
import type { SextantConfig } from "./model.ts";
import { checkProxies, checkProxyRuns, checkRoleTls } from "./proxy-check.ts";
import { checkRegistry } from "./registry-check.ts";
import { checkRoles, checkServers } from "./role-check.ts";
import { checkAliases, checkDestination, checkHooksOutput, checkOutput, checkServiceAndImage, checkTraefikHooks, checkVersionsAndNames } from "./root-check.ts";
import { HINT_SEPARATOR, TYPE_MARK, UNKNOWN_KEY } from "./schema/common.ts";
import { rootSchema } from "./schema/root.ts";
import { checkSsh } from "./ssh-check.ts";
import type { Path, PositionIndex } from "./yaml.ts";

export function schemaProblems(raw: unknown, positions: PositionIndex): Problem[] {
  const result = v.safeParse(rootSchema(), raw, { abortEarly: false });
  if (result.success) return [];
  const problems: Problem[] = [];
  for (const issue of result.issues) {
    const path: Path = (issue.path ?? []).map((p) => p.key as string | number);
    const [message, extra] = issue.message.split(HINT_SEPARATOR) as [string, string | undefined];
    if (message === UNKNOWN_KEY && extra) {
      const { key, known } = JSON.parse(extra) as { key: string; known: string[] };
      const suggestion = suggestKey(key, known);
      const at = positions.get(path)?.key ?? positions.nearest(path);
      const isExtension = key.startsWith("x-") && path.length > 1;
      problems.push({
        path: path.join("/"),
        message: UNKNOWN_KEY,
        hint: isExtension
          ? "`x-` extension keys are only allowed at the top level of the file"
          : !suggestion && path.length === 1 && MISPLACED[key]
            ? `\`${key}\` is ${MISPLACED[key]}`
            : known.includes("clear") && known.includes("secret") && !suggestion
              ? `move ${key} under \`clear:\` (plain variables can't be mixed with clear/secret)`
              : suggestion
                ? `did you mean \`${suggestion}\`?`
                : `valid keys here: ${known.join(", ")}`,
        at,
      });
      continue;
    }
    const typed = message.startsWith(TYPE_MARK);
    problems.push({
      path: path.join("/"),
      message: typed ? `${message.slice(1)}, got ${describeValue(issue.input)}` : message,
      hint: extra,
      at: positions.nearest(path),
    });
  }
  return dedupe(problems).sort(byPosition);
}

function byPosition(a: Problem, b: Problem): number {
  if (!a.at || !b.at) return 0;
  return a.at.file === b.at.file ? a.at.line - b.at.line || a.at.col - b.at.col : 0;
}

/** A likely intended key: a close spelling, or the same letters in another order (`prot` -> `port`). */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  const near = closest(key, known);
  if (near) return near;
  const sorted = (s: string) => [...s.toLowerCase()].sort().join("");
  return key.length >= 3 ? known.find((k) => sorted(k) === sorted(key)) : undefined;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where keys commonly written at the top level by mistake belong. */
const MISPLACED: Record<string, string> = {
  host: "a proxy setting: put it under `proxy:`",
  hosts: "a role or proxy setting: put it under `servers:` (or `proxy:`)",
  app_port: "a proxy setting: put it under `proxy:`",
  ssl: "a proxy setting: put it under `proxy:`",
  healthcheck: "a proxy setting: put it under `proxy:`",
  arch: "a builder setting: put it under `builder:`",
  dockerfile: "a builder setting: put it under `builder:`",
  remote: "a builder setting: put it under `builder:`",
  args: "a builder setting: put it under `builder:`",
  user: "an ssh setting: put it under `ssh:`",
  port: "an ssh setting (`ssh:`) or an accessory setting",
  username: "a registry setting: put it under `registry:`",
  password: "a registry setting: put it under `registry:`",
  server: "a registry setting: put it under `registry:`",
  clear: "an env setting: put it under `env:`",
  secret: "an env setting: put it under `env:`",
  tags: "an env setting: put it under `env:`",
  cmd: "a role setting: put it under `servers: <role>:`",
  options: "a role or accessory setting: put it under `servers: <role>:`",
  limit: "a boot setting: put it under `boot:`",
  driver: "a builder or logging setting",
  accessory: "misspelled: the section is `accessories:`",
  alias: "misspelled: the section is `aliases:`",
  destination: "not a setting: pass -d NAME and put its settings in config/deploy.NAME.yml",
};

/**
 * Kamal's semantic checks on the derived model, each beside its section's model, run in Kamal's
 * order (the first problem reported is the one Kamal would report), all problems collected.
 */
const SEMANTIC_CHECKS: readonly ((config: SextantConfig, add: Add) => void)[] = [
  checkDestination,
  checkServiceAndImage,
  checkRegistry,
  checkServers,
  checkBuilder,
  checkRoles,
  checkAccessories,
  checkAliases,
  checkProxies,
  checkOutput,
  checkSsh,
  checkVersionsAndNames,
  checkTraefikHooks,
  checkRoleTls,
  checkRemoteBuilderWithLocalRegistry,
  checkProxyRuns,
  checkHooksOutput,
];

export function semanticProblems(config: SextantConfig, positions: PositionIndex): Problem[] {
  const problems: Problem[] = [];
  const add: Add = (path, message, hint) => problems.push({ path: path.join("/"), message, hint, at: positions.nearest(path) ?? fileStart(config) });
  for (const check of SEMANTIC_CHECKS) check(config, add);
  return dedupe(problems);
}

function fileStart(config: SextantConfig): Position {
  return { file: config.files[0] ?? config.configFile, line: 1, col: 1 };
}
