import { defineCommand } from "citty";
import { deployArgs } from "../arguments.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "deploy", description: "Build and deploy the app to the servers, with zero downtime (--canary N: as a canary for N% of requests)" },
  args: {
    ...deployArgs,
    canary: { type: "string", description: "Deploy as a canary next to the main version, for this percentage of requests (by kamal-rollout cookie)" },
    "canary-list": { type: "string", description: "With --canary: kamal-rollout cookie values that always get the canary (comma-separated)" },
  },
  async run({ args }) {
    const options = { skipPush: args["skip-push"], noCache: args["no-cache"] };
    if (args.canary !== undefined || args["canary-list"] !== undefined) {
      const [{ deployCanary }, { listArg, percentArg }] = await Promise.all([import("../../orchestration/rollout.ts"), import("./rollout.ts")]);
      const percent = percentArg(args.canary ?? "0", "--canary");
      await withRun({ json: args.json }, (run) => deployCanary(run, { ...options, percent, list: listArg(args["canary-list"]) }));
      return;
    }
    const { deploy } = await import("../../orchestration/deploy.ts");
    await withRun({ json: args.json }, (run) => deploy(run, options));
  },
});
