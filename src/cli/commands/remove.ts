import { defineCommand } from "citty";
import { confirm } from "../confirm.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "remove", description: "Remove the app's containers, images and files from the servers (and the proxy if unused)" },
  args: {
    confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
    json: { type: "boolean", description: "Print progress as JSON lines" },
  },
  async run({ args }) {
    if (!(await confirm("This will remove all containers and images. Are you sure?", args.confirmed))) return 1;
    const { removeApp } = await import("../../orchestration/deploy.ts");
    await withRun({ json: args.json }, (run) => removeApp(run));
  },
});
