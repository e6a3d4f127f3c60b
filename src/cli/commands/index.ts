/**
 * Every top-level command, loaded on demand. Add a command here and in its own file; the runner
 * gives it the global options, --help and "did you mean" for free.
 */
import { commandMap, lazy } from "../_shared.ts";

export const commands = commandMap({
  version: lazy(() => import("./version.ts")),
  config: lazy(() => import("./config.ts")),
  init: lazy(() => import("./init.ts")),
});
