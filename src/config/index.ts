/**
 * The configuration model. `loadConfig` reads `config/deploy.yml` (+ destination file), renders
 * ERB, validates everything at once and returns the derived model (see model.ts). Each section is
 * built in its `<section>-model.ts` and checked in its `<section>-check.ts`; validate.ts runs the
 * schema, then the section checks in Kamal's order. Nothing here imports from the CLI, the
 * orchestration or the command builders.
 */

import { localDockerArch } from "./erb.ts";
import { ConfigError } from "./errors.ts";
import { DEFAULT_CONFIG_FILE, loadRawConfig } from "./load.ts";
import { SextantConfig } from "./model.ts";
import { schemaProblems, semanticProblems } from "./validate.ts";

export interface LoadConfigOptions {
  /** Default config/deploy.yml, relative to cwd. */
  configFile?: string;
  destination?: string;
  /** `--version` */
  version?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Architecture for `Kamal::Utils.docker_arch` in ERB (default: this machine's). */
  dockerArch?: string;
  /** Injected for tests: git runner and `$(command)` runner. */
  git?: (args: string[]) => string | undefined;
  runCommand?: (command: string) => string;
}

export function loadConfig(options: LoadConfigOptions = {}): SextantConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const loaded = loadRawConfig({
    configFile: options.configFile ?? DEFAULT_CONFIG_FILE,
    destination: options.destination,
    cwd,
    env,
    dockerArch: options.dockerArch ?? localDockerArch(),
  });
  const problems = schemaProblems(loaded.raw, loaded.positions);
  if (problems.length > 0) throw new ConfigError(problems, { hint: hintFor(loaded.files) });
  const config = new SextantConfig(loaded.raw, {
    destination: options.destination,
    declaredVersion: options.version,
    cwd,
    env,
    configFile: loaded.configFile,
    files: loaded.files,
    git: options.git,
    runCommand: options.runCommand,
  });
  const semantic = semanticProblems(config, loaded.positions);
  if (semantic.length > 0) throw new ConfigError(semantic, { hint: hintFor(loaded.files) });
  return config;
}

function hintFor(files: string[]): string {
  return `Fix ${files.join(" and ")}; \`sextant config\` shows the result.`;
}

export { ConfigError, formatProblem } from "./errors.ts";
export { SextantConfig } from "./model.ts";
export { kamalConfigHash } from "./output.ts";
export { redact, Secret, Secrets } from "./secrets.ts";
