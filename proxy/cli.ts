/**
 * The proxy's command line lives in cli/ (main.ts: commands; flags.ts: the flag parser; flag-tables.ts:
 * each command's flags; control-client.ts: the control socket client). This path is kept for code that
 * imports it from before the move.
 */
export { renderList, runProxyCli } from "./cli/main.ts";
