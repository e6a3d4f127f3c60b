import { defineCommand } from "citty";
import { printByHost } from "../print.ts";
import { withRun } from "../with-run.ts";

export default defineCommand({
  meta: { name: "audit", description: "Show the last lines of the audit log on each server" },
  async run() {
    const { auditLogs } = await import("../../orchestration/server-ops.ts");
    await withRun({}, async (run) => printByHost(await auditLogs(run), "App", { spaced: false }));
  },
});
