import { defineCommand } from "citty";
import { withRun } from "../_run.ts";

export default defineCommand({
  meta: { name: "rollback", description: "Go back to an earlier version whose containers are still on the servers" },
  args: {
    version: { type: "positional", description: "The version to roll back to (see `sextant app containers`)", required: true },
    json: { type: "boolean", description: "Print progress as JSON lines" },
  },
  async run({ args }) {
    const { rollback } = await import("../../orchestration/deploy.ts");
    await withRun({ command: "rollback", json: args.json, version: args.version }, (run) => rollback(run));
  },
});
