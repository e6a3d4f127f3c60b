/**
 * `--json` of the listing commands: the same docker listing command, asked for one JSON object per
 * line (`--format '{{json .}}'`), so scripts parse Docker's own fields instead of a table.
 */
import type { Argv } from "./shell.ts";

export interface ListingOptions {
  json?: boolean;
}

export function listing(argv: Argv, options: ListingOptions = {}): Argv {
  return options.json ? [...argv, "--format", "'{{json .}}'"] : argv;
}
