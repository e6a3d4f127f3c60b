import { defineCommand } from "citty";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "audit", description: "Show the last lines of the audit log on each server" },
  async run() {
    const { reveal } = await import("../../commands/audit.ts");
    const { render } = await import("../../commands/shell.ts");
    const { globalOptions } = await import("../context.ts");
    await withRun({}, async (run) => {
      const logs = await run.session.onHosts(run.selection.hosts, "audit log read", async (host) => ({
        host,
        text: (await run.session.tryExec(host, render(reveal(run.config)))).stdout,
      }));
      for (const { host, text } of logs) {
        if (!globalOptions().quiet) process.stdout.write(`App Host: ${host}\n`);
        process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
      }
    });
  },
});
