/**
 * The parsed global options of this run, set once by the runner before a command starts (like
 * Kamal's process-wide commander). Commands read them with `globalOptions()`; nothing below the CLI
 * layer reads this module: orchestration gets what it needs passed in.
 */
import { defaultGlobalOptions, type GlobalOptions } from "./global-options.ts";

let current: GlobalOptions = defaultGlobalOptions();

export function setGlobalOptions(options: GlobalOptions): void {
  current = options;
}

export function globalOptions(): GlobalOptions {
  return current;
}
