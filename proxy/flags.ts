/** The flag parser moved to cli/flags.ts; this path is kept for code that imports it from before the move. */
export { parseFlags } from "./cli/flags.ts";
