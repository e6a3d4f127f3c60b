/** `sextant init`: write a starting config, secrets file and sample hooks; never overwrite. */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SextantError } from "../errors.ts";
import { DEPLOY_TEMPLATE } from "./templates/deploy.ts";
import { HOOK_TEMPLATES } from "./templates/hooks.ts";
import { SECRETS_TEMPLATE } from "./templates/secrets.ts";

export interface InitResult {
  created: string[];
  skipped: string[];
}

export function initProject(options: { cwd: string }): InitResult {
  const deployFile = "config/deploy.yml";
  if (existsSync(join(options.cwd, deployFile))) {
    throw new SextantError(`Config file already exists in ${deployFile} (remove first to create a new one)`, {
      hint: "sextant init never overwrites files; `sextant config` shows the current configuration",
    });
  }
  const result: InitResult = { created: [], skipped: [] };
  const write = (file: string, content: string, mode?: number) => {
    const path = join(options.cwd, file);
    if (existsSync(path)) {
      result.skipped.push(file);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { flag: "wx" });
    if (mode !== undefined) chmodSync(path, mode);
    result.created.push(file);
  };
  write(deployFile, DEPLOY_TEMPLATE);
  write(".kamal/secrets", SECRETS_TEMPLATE, 0o600);
  for (const [name, content] of Object.entries(HOOK_TEMPLATES)) write(`.kamal/hooks/${name}.sample`, content, 0o755);
  return result;
}
