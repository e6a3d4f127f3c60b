/**
 * The parsed global options of this run and the command being run, set once by the runner before
 * a command starts (like Kamal's process-wide commander). Commands read them with `globalOptions()`
 * and `commandPath()`; nothing below the CLI layer reads this module: orchestration gets what it
 * needs passed in.
 */
import { defaultGlobalOptions, type GlobalOptions } from "./global-options.ts";

let current: GlobalOptions = defaultGlobalOptions();

export function setGlobalOptions(options: GlobalOptions): void {
  current = options;
}

export function globalOptions(): GlobalOptions {
  return current;
}

let path: readonly string[] = [];

/** The command's names in citty's tree, without the root: `["proxy", "boot_config", "set"]`. */
export function setCommandPath(names: readonly string[]): void {
  path = names;
}

/** What KAMAL_COMMAND / KAMAL_SUBCOMMAND, the deploy log and confirmation errors name. */
export function commandPath(): readonly string[] {
  return path;
}
