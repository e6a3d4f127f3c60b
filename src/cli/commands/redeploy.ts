import { defineCommand } from "citty";
import { deployArgs } from "../arguments.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "redeploy", description: "Deploy again without touching the proxy or pruning (faster)" },
  args: { ...deployArgs },
  async run({ args }) {
    const { redeploy } = await import("../../orchestration/deploy.ts");
    await withRun({ json: args.json }, (run) => redeploy(run, { skipPush: args["skip-push"], noCache: args["no-cache"] }));
  },
});
