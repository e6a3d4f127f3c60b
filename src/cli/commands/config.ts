import { defineCommand } from "citty";
import { jsonArg } from "../arguments.ts";
import { globalOptions } from "../context.ts";

export default defineCommand({
  meta: { name: "config", description: "Show the resolved configuration (secrets redacted)" },
  args: { ...jsonArg },
  async run({ args }) {
    const { showConfig } = await import("../../config/output.ts");
    const g = globalOptions();
    process.stdout.write(await showConfig({ configFile: g.configFile, destination: g.destination, version: g.version, json: !!args.json }));
  },
});
