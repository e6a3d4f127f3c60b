import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { withRun } from "../_run.ts";

export default defineCommand({
  meta: { name: "remove", description: "Remove the app's containers, images and files from the servers (and the proxy if unused)" },
  args: {
    confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
    json: { type: "boolean", description: "Print progress as JSON lines" },
  },
  async run({ args }) {
    if (!args.confirmed) {
      if (!process.stdin.isTTY) throw new UsageError("remove needs confirmation", { hint: "Run `sextant remove -y` to confirm without a prompt." });
      const { consola } = await import("consola");
      const ok = await consola.prompt("This will remove all containers and images. Are you sure?", { type: "confirm", initial: false });
      if (ok !== true) {
        process.stdout.write("Aborted\n");
        return 1;
      }
    }
    const { removeApp } = await import("../../orchestration/deploy.ts");
    await withRun({ command: "remove", json: args.json }, (run) => removeApp(run));
  },
});
