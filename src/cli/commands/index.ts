/**
 * Every top-level command, loaded on demand. Add a command here and in its own file; the runner
 * gives it the global options, --help and "did you mean" for free.
 */
import { commandMap, lazy } from "../lazy.ts";

export const commands = commandMap({
  version: lazy(() => import("./version.ts")),
  setup: lazy(() => import("./setup.ts")),
  deploy: lazy(() => import("./deploy.ts")),
  redeploy: lazy(() => import("./redeploy.ts")),
  rollback: lazy(() => import("./rollback.ts")),
  rollout: lazy(() => import("./rollout.ts")),
  remove: lazy(() => import("./remove.ts")),
  lock: lazy(() => import("./lock.ts")),
  audit: lazy(() => import("./audit.ts")),
  app: lazy(() => import("./app.ts")),
  proxy: lazy(() => import("./proxy.ts")),
  prune: lazy(() => import("./prune.ts")),
  server: lazy(() => import("./server.ts")),
  details: lazy(() => import("./details.ts")),
  config: lazy(() => import("./config.ts")),
  init: lazy(() => import("./init.ts")),
  accessory: lazy(() => import("./accessory.ts")),
  build: lazy(() => import("./build.ts")),
  registry: lazy(() => import("./registry.ts")),
  secrets: lazy(() => import("./secrets.ts")),
  docs: lazy(() => import("./docs.ts")),
  completion: lazy(() => import("./completion.ts")),
});
