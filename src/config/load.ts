/**
 * Reading the configuration files: the base file, then `deploy.<destination>.yml` deep-merged over
 * it (hashes merge, arrays and scalars replace). Each file is rendered as ERB first (see erb.ts),
 * then parsed as YAML with positions (see yaml.ts). Top-level `x-` keys are extensions and dropped.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, extname, isAbsolute, relative, resolve } from "node:path";
import { ErbError, renderErb } from "./erb.ts";
import { ConfigError, type Problem } from "./errors.ts";
import { isHash } from "./schema/common.ts";
import { PositionIndex, parseYaml, setOwn } from "./yaml.ts";

export interface LoadOptions {
  /** Config file, relative to cwd (default config/deploy.yml). */
  configFile?: string;
  destination?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** For Kamal::Utils.docker_arch in ERB. */
  dockerArch?: string;
}

export interface RawConfigFiles {
  /** The merged configuration, before validation. */
  raw: Record<string, unknown>;
  positions: PositionIndex;
  /** Files read, as shown to the user (relative to cwd when inside it). */
  files: string[];
  configFile: string;
  destinationFile?: string;
}

export const DEFAULT_CONFIG_FILE = "config/deploy.yml";

/** `config/deploy.yml` + `staging` -> `config/deploy.staging.yml` (Ruby's sub_ext). */
function destinationConfigFile(configFile: string, destination: string): string {
  const ext = extname(configFile);
  const base = ext ? configFile.slice(0, -ext.length) : configFile;
  return `${base}.${destination}.yml`;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

export function loadRawConfig(options: LoadOptions = {}): RawConfigFiles {
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const destination = options.destination;
  if (destination !== undefined && !/^[A-Za-z0-9_.-]+$/.test(destination)) {
    throw new ConfigError([{ path: "", message: `invalid destination name "${destination}"`, hint: "use letters, digits, dashes and underscores, e.g. -d staging" }]);
  }
  // Like Kamal, ERB sees the destination as KAMAL_DESTINATION.
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  if (destination) env.KAMAL_DESTINATION = destination;
  else delete env.KAMAL_DESTINATION;

  const files = [resolve(cwd, configFile)];
  if (destination) files.push(resolve(cwd, destinationConfigFile(configFile, destination)));

  const problems: Problem[] = [];
  let raw: Record<string, unknown> = {};
  let positions = new PositionIndex();
  for (const [index, file] of files.entries()) {
    const shown = displayPath(file, cwd);
    if (!existsSync(file)) {
      problems.push({
        path: "",
        message: `Configuration file not found in ${shown}`,
        hint:
          index === 0
            ? configFile === DEFAULT_CONFIG_FILE
              ? "run `sextant init` to create one, or pass -c PATH"
              : "check the -c/--config-file path"
            : `create ${basename(file)} next to ${basename(files[0]!)}, or check the -d/--destination name`,
      });
      continue;
    }
    let source: string;
    try {
      source = readFileSync(file, "utf8");
    } catch (error) {
      problems.push({ path: "", message: `cannot read ${shown}: ${(error as Error).message}` });
      continue;
    }
    let text = source;
    let lineMap: number[] | undefined;
    if (source.includes("<%")) {
      try {
        ({ text, lineMap } = renderErb(source, { env, dockerArch: options.dockerArch }));
      } catch (error) {
        if (!(error instanceof ErbError)) throw error;
        problems.push({ path: "", message: `ERB: ${error.message}`, hint: error.hint, at: { file: shown, line: error.line, col: error.col } });
        continue;
      }
    }
    const parsed = parseYaml(text, { file: shown, lineMap });
    if (parsed.problems.length > 0) {
      problems.push(...parsed.problems);
      continue;
    }
    let value = parsed.value;
    if (value === null) value = {};
    if (!isHash(value)) {
      problems.push({
        path: "",
        message: "the configuration should be a hash of settings",
        hint: "start with e.g. `service: my-app`",
        at: { file: shown, line: parsed.positions.get([])?.value.line ?? 1, col: 1 },
      });
      continue;
    }
    raw = deepMerge(raw, value) as Record<string, unknown>;
    positions = positions.overlay(parsed.positions);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // Extensions (`x-...`) are for YAML anchors only; Kamal ignores them at the top level.
  for (const key of Object.keys(raw)) if (key.startsWith("x-")) delete raw[key];

  return {
    raw,
    positions,
    files: files.map((f) => displayPath(f, cwd)),
    configFile: displayPath(files[0]!, cwd),
    destinationFile: files[1] ? displayPath(files[1], cwd) : undefined,
  };
}

/** ActiveSupport's deep_merge: hashes merge recursively, everything else (arrays too) replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isHash(base) || !isHash(over)) return over;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(over)) setOwn(out, k, Object.hasOwn(out, k) ? deepMerge(out[k], v) : v);
  return out;
}
