import { defineCommand } from "citty";
import { deployArgs, withRun } from "../_run.ts";

export default defineCommand({
  meta: { name: "deploy", description: "Build and deploy the app to the servers, with zero downtime" },
  args: { ...deployArgs },
  async run({ args }) {
    const { deploy } = await import("../../orchestration/deploy.ts");
    await withRun({ command: "deploy", json: args.json }, (run) => deploy(run, { skipPush: args["skip-push"], noCache: args["no-cache"] }));
  },
});
