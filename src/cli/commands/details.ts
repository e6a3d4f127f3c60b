import { defineCommand } from "citty";
import { jsonLines } from "../json-lines.ts";
import { printByHost } from "../print.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "details", description: "Show the proxy, the app's and the accessories' containers on each server" },
  args: { json: { type: "boolean", description: "One JSON object per line (Docker's fields, with kind: proxy, app or accessory; host; role or accessory)" } },
  async run({ args }) {
    const { details } = await import("../../orchestration/server-ops.ts");
    const json = !!args.json;
    await withRun({ quiet: json }, async (run) => {
      const { proxy, app, accessories } = await details(run, { json });
      if (json) {
        process.stdout.write(jsonLines(proxy, { kind: "proxy" }) + jsonLines(app, { kind: "app" }));
        for (const { name, outputs } of accessories) process.stdout.write(jsonLines(outputs, { kind: "accessory", accessory: name }));
        return;
      }
      printByHost(proxy, "Proxy");
      printByHost(app, "App");
      for (const { name, outputs } of accessories) printByHost(outputs, `Accessory ${name}`);
    });
  },
});
