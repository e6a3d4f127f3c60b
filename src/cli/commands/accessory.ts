import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import type { AccessoryChange } from "../../orchestration/accessory-ops.ts";
import { logWindow } from "../arguments.ts";
import { confirm } from "../confirm.ts";
import { printByHost } from "../print.ts";
import { withRun } from "../with-run.ts";

const nameArg = {
  name: { type: "positional", description: "The accessory's name, or `all`", required: true },
} as const;
const oneNameArg = {
  name: { type: "positional", description: "The accessory's name", required: true },
} as const;

const load = () => import("../../orchestration/accessory.ts");
const ops = () => import("../../orchestration/accessory-ops.ts");

/** Kamal prints each host's answer under `Accessory NAME Host: H` (the header hidden with -q). */
const print = (name: string, results: { host: string; text: string }[]) => printByHost(results, `Accessory ${name}`, { spaced: false });

/** A sub-command that changes accessories under the lock (boot, reboot, start, stop, restart). */
function changeCommand(change: AccessoryChange, description: string) {
  return defineCommand({
    meta: { name: change, description },
    args: { ...nameArg },
    async run({ args }) {
      const { changeAccessories } = await ops();
      await withRun({}, (run) => changeAccessories(run, args.name, change));
    },
  });
}

const boot = changeCommand("boot", "Boot an accessory on its hosts (skips hosts where its container exists)");
const reboot = changeCommand("reboot", "Replace an accessory's container (pull, then a fresh container with the current files and env)");
const start = changeCommand("start", "Start an accessory's existing container");
const stop = changeCommand("stop", "Stop an accessory's container");
const restart = changeCommand("restart", "Stop, then start an accessory's container");

const remove = defineCommand({
  meta: { name: "remove", description: "Remove an accessory's container, image and data directory from its hosts" },
  args: { ...nameArg, confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" } },
  async run({ args }) {
    if (!(await confirm(`This will remove all containers, images and data directories for ${args.name}. Are you sure?`, args.confirmed))) return 1;
    const { changeAccessories } = await ops();
    await withRun({}, (run) => changeAccessories(run, args.name, "remove"));
  },
});

const details = defineCommand({
  meta: { name: "details", description: "Show an accessory's container on each of its hosts" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await withRun({}, async (run) => {
      for (const a of o.accessoriesNamed(run, args.name)) print(a.name, await o.accessoryDetails(run, a));
    });
  },
});

const exec = defineCommand({
  meta: { name: "exec", description: "Run a command in an accessory: a new container, or the running one with --reuse" },
  args: {
    ...oneNameArg,
    interactive: { type: "boolean", alias: "i", description: "Run interactively (on the accessory's first host, through ssh -t)" },
    reuse: { type: "boolean", description: "Run in the running container (docker exec) instead of a new one" },
  },
  async run({ args }) {
    const [o, a] = await Promise.all([load(), ops()]);
    const words = (args._ as string[]).slice(1);
    if (words.length === 0) throw new UsageError("No command provided. You must specify a command to execute.");
    const command = words.map((w) => w.trim()).join(" ");
    return withRun({}, async (run) => {
      const accessory = a.oneAccessory(run, args.name, "exec");
      if (args.interactive) return a.execAccessoryInteractive(run, accessory, command, { reuse: args.reuse });
      print(accessory.name, await o.execAccessory(run, accessory, command, { reuse: args.reuse }));
      return 0;
    });
  },
});

const logs = defineCommand({
  meta: { name: "logs", description: "Show an accessory's logs" },
  args: {
    ...oneNameArg,
    since: { type: "string", alias: "s", description: "Only lines since this time (e.g. 5m, 2026-01-01T00:00:00)" },
    lines: { type: "string", alias: "n", description: "Number of lines (default 100 without --since/--grep)" },
    grep: { type: "string", alias: "g", description: "Only lines matching this pattern" },
    "grep-options": { type: "string", description: "Options for grep (e.g. -i)" },
    follow: { type: "boolean", alias: "f", description: "Follow the log on the accessory's first host" },
    "skip-timestamps": { type: "boolean", alias: "T", description: "Leave out timestamps" },
  },
  async run({ args }) {
    const [o, a] = await Promise.all([load(), ops()]);
    const window = logWindow(args);
    return withRun({}, async (run) => {
      const accessory = a.oneAccessory(run, args.name, "logs");
      const filter = { grep: args.grep, grepOptions: args["grep-options"], timestamps: !args["skip-timestamps"] };
      if (args.follow) return a.followAccessoryLogs(run, accessory, { ...filter, lines: window.lines });
      const lines = window.lines ?? (window.since || args.grep ? undefined : 100);
      print(accessory.name, await o.accessoryLogs(run, accessory, { ...filter, since: window.since, lines }));
      return 0;
    });
  },
});

const upgrade = defineCommand({
  meta: { name: "upgrade", description: "Reboot accessories on all their hosts (or one host at a time with --rolling)" },
  args: {
    ...nameArg,
    rolling: { type: "boolean", description: "One host at a time" },
    confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
  },
  async run({ args }) {
    if (!(await confirm("This will restart all accessories. Are you sure?", args.confirmed))) return 1;
    const { upgradeAccessories } = await ops();
    await withRun({}, (run) => upgradeAccessories(run, args.name, { rolling: args.rolling }));
  },
});

export default defineCommand({
  meta: { name: "accessory", description: "Manage accessories (databases, caches and other long-lived services)" },
  subCommands: { boot, reboot, start, stop, restart, details, exec, logs, remove, upgrade },
});
