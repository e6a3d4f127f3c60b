import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import type { Argv } from "../../commands/shell.ts";
import type { Run } from "../../orchestration/run.ts";
import { withRun } from "../_run.ts";
import { logWindow } from "../_output.ts";
import { globalOptions } from "../context.ts";

const nameArg = {
  name: { type: "positional", description: "The accessory's name, or `all`", required: true },
} as const;
const oneNameArg = {
  name: { type: "positional", description: "The accessory's name", required: true },
} as const;

type Orchestration = typeof import("../../orchestration/accessory.ts");
const load = (): Promise<Orchestration> => import("../../orchestration/accessory.ts");

/** withRun for the accessory group. */
function accessoryRun<T>(subcommand: string, fn: (run: Run) => Promise<T>): Promise<T> {
  return withRun({ command: "accessory", subcommand }, fn);
}

async function underLock(run: Run, fn: () => Promise<void>): Promise<void> {
  const { withLock } = await import("../../orchestration/lock.ts");
  await withLock(run, fn);
}

function print(header: string, results: { host: string; text: string }[]): void {
  for (const { host, text } of results) {
    if (!globalOptions().quiet) process.stdout.write(`${header} Host: ${host}\n`);
    process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
  }
}

async function confirm(question: string, confirmed: boolean | undefined, flag: string): Promise<boolean> {
  if (confirmed) return true;
  if (!process.stdin.isTTY) throw new UsageError(`${question.split(".")[0]}: this needs confirmation`, { hint: `Add ${flag} to confirm without a prompt.` });
  const { consola } = await import("consola");
  const ok = await consola.prompt(question, { type: "confirm", initial: false });
  if (ok !== true) process.stdout.write("Aborted\n");
  return ok === true;
}

/** Hand the terminal to the system ssh client on `host` (exec -i, logs -f). */
async function interactive(run: Run, host: string, remote: Argv): Promise<number> {
  const { runInteractive } = await import("../../orchestration/interactive.ts");
  return runInteractive(run, host, remote);
}

const boot = defineCommand({
  meta: { name: "boot", description: "Boot an accessory on its hosts (skips hosts where its container exists)" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("boot", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) await run.session.step(`Boot accessory ${a.name}`, () => o.bootAccessory(run, a));
      });
    });
  },
});

const reboot = defineCommand({
  meta: { name: "reboot", description: "Replace an accessory's container (pull, then a fresh container with the current files and env)" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("reboot", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) await run.session.step(`Reboot accessory ${a.name}`, () => o.rebootAccessory(run, a));
      });
    });
  },
});

const start = defineCommand({
  meta: { name: "start", description: "Start an accessory's existing container" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("start", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) await run.session.step(`Start accessory ${a.name}`, () => o.startAccessory(run, a));
      });
    });
  },
});

const stop = defineCommand({
  meta: { name: "stop", description: "Stop an accessory's container" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("stop", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) await run.session.step(`Stop accessory ${a.name}`, () => o.stopAccessory(run, a));
      });
    });
  },
});

const restart = defineCommand({
  meta: { name: "restart", description: "Stop, then start an accessory's container" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("restart", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) {
          await run.session.step(`Stop accessory ${a.name}`, () => o.stopAccessory(run, a));
          await run.session.step(`Start accessory ${a.name}`, () => o.startAccessory(run, a));
        }
      });
    });
  },
});

const details = defineCommand({
  meta: { name: "details", description: "Show an accessory's container on each of its hosts" },
  args: { ...nameArg },
  async run({ args }) {
    const o = await load();
    await accessoryRun("details", async (run) => {
      for (const a of o.accessoriesNamed(run, args.name)) print(`Accessory ${a.name}`, await o.accessoryDetails(run, a));
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
    const o = await load();
    const words = (args._ as string[]).slice(1);
    if (words.length === 0) throw new UsageError("No command provided. You must specify a command to execute.");
    const command = words.map((w) => w.trim()).join(" ");
    return accessoryRun("exec", async (run) => {
      const [accessory] = o.accessoriesNamed(run, args.name);
      if (args.name === "all") throw new UsageError("accessory exec needs one accessory's name, not `all`");
      if (args.interactive) {
        const host = o.accessoryHosts(run, accessory!)[0];
        if (!host) throw new UsageError(`accessory ${accessory!.name} has no selected host`);
        const { accessoryCommands } = await import("../../commands/accessory.ts");
        const a = accessoryCommands(run.config, accessory!);
        const tty = process.stdin.isTTY === true;
        const argv = args.reuse ? a.execInExisting(command, { interactive: true, tty }) : a.execInNew(command, { interactive: true, tty });
        return interactive(run, host, argv);
      }
      print(`Accessory ${accessory!.name}`, await o.execAccessory(run, accessory!, command, { reuse: args.reuse }));
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
    const o = await load();
    const window = logWindow(args);
    return accessoryRun("logs", async (run) => {
      const [accessory] = o.accessoriesNamed(run, args.name);
      if (args.name === "all") throw new UsageError("accessory logs needs one accessory's name, not `all`");
      const timestamps = !args["skip-timestamps"];
      if (args.follow) {
        const host = o.accessoryHosts(run, accessory!)[0];
        if (!host) throw new UsageError(`accessory ${accessory!.name} has no selected host`);
        const { accessoryCommands } = await import("../../commands/accessory.ts");
        const a = accessoryCommands(run.config, accessory!);
        return interactive(run, host, a.followLogs({ grep: args.grep, grepOptions: args["grep-options"], timestamps, lines: window.lines }));
      }
      const lines = window.lines ?? (window.since || args.grep ? undefined : 100);
      print(`Accessory ${accessory!.name}`, await o.accessoryLogs(run, accessory!, { since: window.since, lines, grep: args.grep, grepOptions: args["grep-options"], timestamps }));
      return 0;
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove an accessory's container, image and data directory from its hosts" },
  args: { ...nameArg, confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" } },
  async run({ args }) {
    if (!(await confirm(`This will remove all containers, images and data directories for ${args.name}. Are you sure?`, args.confirmed, "-y"))) return 1;
    const o = await load();
    await accessoryRun("remove", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) await run.session.step(`Remove accessory ${a.name}`, () => o.removeAccessory(run, a));
      });
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
    if (!(await confirm("This will restart all accessories. Are you sure?", args.confirmed, "-y"))) return 1;
    const o = await load();
    await accessoryRun("upgrade", async (run) => {
      const accessories = o.accessoriesNamed(run, args.name);
      await underLock(run, async () => {
        for (const a of accessories) {
          const hosts = o.accessoryHosts(run, a);
          const groups = args.rolling ? hosts.map((h) => [h]) : [hosts];
          for (const group of groups) {
            await run.session.step(`Upgrade accessory ${a.name} on ${group.join(", ")}`, () => o.rebootAccessory(run, a, { hosts: group }));
          }
        }
      });
    });
  },
});

export default defineCommand({
  meta: { name: "accessory", description: "Manage accessories (databases, caches and other long-lived services)" },
  subCommands: { boot, reboot, start, stop, restart, details, exec, logs, remove, upgrade },
});
