import { defineCommand } from "citty";
import { deployArgs } from "../arguments.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "setup", description: "Set up Docker and the proxy on the servers, then deploy" },
  args: { ...deployArgs },
  async run({ args }) {
    const { setup } = await import("../../orchestration/deploy.ts");
    await withRun({ json: args.json }, (run) => setup(run, { skipPush: args["skip-push"], noCache: args["no-cache"] }));
  },
});
