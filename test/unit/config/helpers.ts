import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError, type LoadConfigOptions, loadConfig } from "../../../src/config/index.ts";
import { parseYaml } from "../../../src/config/yaml.ts";

export const FIXTURES = join(import.meta.dir, "../../fixtures/kamal");

export function fixturePath(kind: "kamal-fixtures" | "kamal-config-docs" | "kamal-config-output", name: string): string {
  return join(FIXTURES, kind, name);
}

/** Read a YAML file the way Ruby would (Kamal's `:symbol` keys become plain strings). */
export function readYaml(path: string): unknown {
  const parsed = parseYaml(readFileSync(path, "utf8"), { file: path });
  if (parsed.problems.length > 0) throw new Error(`cannot parse ${path}`);
  return parsed.value;
}

/** A throw-away project directory with these files. */
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "sextant-config-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const BASE = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: pw
builder:
  arch: amd64
`;

/** Load a config from text (in a temp project), returning the config or the ConfigError. */
export function load(yaml: string, options: LoadConfigOptions & { files?: Record<string, string> } = {}) {
  const dir = project({ "config/deploy.yml": yaml, ...(options.files ?? {}) });
  try {
    return loadConfig({ version: "123", env: {}, ...options, cwd: dir });
  } finally {
    removeProject(dir);
  }
}

export function loadError(yaml: string, options: LoadConfigOptions & { files?: Record<string, string> } = {}): ConfigError {
  try {
    load(yaml, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
