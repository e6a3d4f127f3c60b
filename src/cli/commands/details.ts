import { defineCommand } from "citty";
import { withRun } from "../_run.ts";
import { printByHost } from "../_output.ts";

export default defineCommand({
  meta: { name: "details", description: "Show the proxy, the app's and the accessories' containers on each server" },
  async run() {
    const { details } = await import("../../orchestration/server-ops.ts");
    await withRun({ command: "details" }, async (run) => {
      const { proxy, app, accessories } = await details(run);
      printByHost(proxy, "Proxy");
      printByHost(app, "App");
      for (const { name, outputs } of accessories) printByHost(outputs, `Accessory ${name}`);
    });
  },
});
