import { defineCommand } from "citty";
import { lockJson } from "../json-lines.ts";
import { withRun } from "../with-run.ts";

const status = defineCommand({
  meta: { name: "status", description: "Show who holds the deploy lock, if anyone" },
  args: { json: { type: "boolean", description: "One JSON document: locked, lockedBy, at, version, message" } },
  async run({ args }) {
    const { lockStatus } = await import("../../orchestration/lock.ts");
    await withRun({ quiet: !!args.json }, async (run) => {
      const details = await lockStatus(run);
      if (args.json) process.stdout.write(lockJson(details));
      else process.stdout.write(details ? `${details}\n` : "There is no deploy lock\n");
    });
  },
});

const acquire = defineCommand({
  meta: { name: "acquire", description: "Take the deploy lock by hand (deploys then fail until it is released)" },
  args: { message: { type: "string", alias: "m", description: "Why (shown to whoever tries to deploy)", required: true } },
  async run({ args }) {
    const { acquireLock } = await import("../../orchestration/lock.ts");
    await withRun({}, async (run) => {
      await acquireLock(run, args.message);
      process.stdout.write(`Acquired the deploy lock\n`);
    });
  },
});

const release = defineCommand({
  meta: { name: "release", description: "Release the deploy lock (after an interrupted deploy, or a manual acquire)" },
  async run() {
    const { lockStatus, releaseLock } = await import("../../orchestration/lock.ts");
    await withRun({}, async (run) => {
      if (!(await lockStatus(run))) {
        process.stdout.write("There is no deploy lock\n");
        return;
      }
      await releaseLock(run);
      process.stdout.write("Released the deploy lock\n");
    });
  },
});

export default defineCommand({
  meta: { name: "lock", description: "Manage the deploy lock" },
  subCommands: { status, acquire, release },
});
