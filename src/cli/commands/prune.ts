import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { withRun } from "../with-run.ts";

const ops = () => import("../../orchestration/prune-ops.ts");

const all = defineCommand({
  meta: { name: "all", description: "Prune old stopped containers (keeping retain_containers) and unused images on every host" },
  async run() {
    const { pruneCommand } = await ops();
    await withRun({}, (run) => pruneCommand(run, "all"));
  },
});

const images = defineCommand({
  meta: { name: "images", description: "Remove the app's images no container uses (the latest tag is kept)" },
  async run() {
    const { pruneCommand } = await ops();
    await withRun({}, (run) => pruneCommand(run, "images"));
  },
});

const containers = defineCommand({
  meta: { name: "containers", description: "Remove the app's stopped containers except the newest ones (rollback targets)" },
  args: { retain: { type: "string", description: "How many stopped containers to keep, at least 1 (default: retain_containers, 5)" } },
  async run({ args }) {
    if (args.retain !== undefined && !/^\d+$/.test(args.retain)) throw new UsageError(`--retain takes a number (got "${args.retain}")`, { hint: "e.g. --retain 3" });
    const { pruneCommand } = await ops();
    const retain = args.retain === undefined ? undefined : Number(args.retain);
    await withRun({}, (run) => pruneCommand(run, "containers", { retain }));
  },
});

export default defineCommand({
  meta: { name: "prune", description: "Prune old containers and images of the app" },
  subCommands: { all, images, containers },
});
