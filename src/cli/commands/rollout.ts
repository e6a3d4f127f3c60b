import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { withRun } from "../with-run.ts";

const load = () => import("../../orchestration/rollout.ts");

/** `30` → 30; anything else is a usage error. */
export function percentArg(value: string | undefined, flag = "PERCENT"): number {
  if (value === undefined || !/^\d{1,3}$/.test(value) || Number(value) > 100) {
    throw new UsageError(`${flag} must be a whole number from 0 to 100 (got ${value === undefined ? "nothing" : `"${value}"`})`, { hint: "e.g. sextant rollout set 25" });
  }
  return Number(value);
}

/** `--list a,b` (repeatable): kamal-rollout cookie values that always get the canary. */
export function listArg(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

const listFlag = { type: "string", description: "kamal-rollout cookie values that always get the canary (comma-separated)" } as const;

const set = defineCommand({
  meta: { name: "set", description: "Change the share of requests (by kamal-rollout cookie) the canary gets" },
  args: { percent: { type: "positional", description: "0 to 100", required: true }, list: listFlag, json: { type: "boolean", description: "Print progress as JSON lines" } },
  async run({ args }) {
    const percent = percentArg(args.percent);
    const { setRollout } = await load();
    await withRun({ json: args.json }, (run) => setRollout(run, percent, listArg(args.list)));
  },
});

const promote = defineCommand({
  meta: { name: "promote", description: "Make the canary the main version on every host (zero downtime), then retire its containers" },
  args: { json: { type: "boolean", description: "Print progress as JSON lines" } },
  async run({ args }) {
    const { currentRollout, promoteRollout } = await load();
    const canary = await withRun({ json: args.json }, (run) => currentRollout(run));
    if (!canary) throw new UsageError("no canary is running", { hint: "Start one with `sextant deploy --canary PERCENT`." });
    await withRun({ json: args.json, version: canary.version }, (run) => promoteRollout(run));
  },
});

const stop = defineCommand({
  meta: { name: "stop", description: "Send every request to the main version again and stop the canary" },
  args: { json: { type: "boolean", description: "Print progress as JSON lines" } },
  async run({ args }) {
    const { stopRollout } = await load();
    await withRun({ json: args.json }, (run) => stopRollout(run));
  },
});

const status = defineCommand({
  meta: { name: "status", description: "Show the canary, if one is running" },
  args: { json: { type: "boolean", description: "Print the canary as JSON (null when none)" } },
  async run({ args }) {
    const { currentRollout, describeRollout } = await load();
    await withRun({}, async (run) => {
      const canary = await currentRollout(run);
      process.stdout.write(args.json ? `${JSON.stringify(canary ?? null)}\n` : `${describeRollout(canary) || "No canary is running"}\n`);
    });
  },
});

export default defineCommand({
  meta: { name: "rollout", description: "Canary releases: `deploy --canary N` starts one; set, promote, stop, status" },
  subCommands: { set, promote, stop, status },
});
