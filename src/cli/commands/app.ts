import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { commandFrom, logWindow, versionOrLatest } from "../arguments.ts";
import { globalOptions } from "../context.ts";
import { jsonLines } from "../json-lines.ts";
import { printByHost } from "../print.ts";
import { opCommand, withRun } from "../with-run.ts";

const ops = () => import("../../orchestration/app-ops.ts");

const boot = opCommand(
  { name: "boot", description: "Boot the app on the servers (the image tagged latest, or --version), replacing what runs" },
  async () => (await ops()).appBoot,
  () => ({ version: versionOrLatest() }),
);

const start = opCommand(
  { name: "start", description: "Start the app's existing containers of this version (--version, default: git HEAD) after `app stop`, and route the proxy to them" },
  async () => (await ops()).appStart,
);

const stop = opCommand({ name: "stop", description: "Take the app out of the proxy and stop its running containers" }, async () => (await ops()).appStop);

const details = defineCommand({
  meta: { name: "details", description: "Show the app's containers (docker ps) per role and host" },
  args: { json: { type: "boolean", description: "One JSON object per line (Docker's fields, with kind, host and role)" } },
  async run({ args }) {
    const { appDetails } = await ops();
    const json = !!args.json;
    const { currentRollout, describeRollout } = await import("../../orchestration/rollout.ts");
    await withRun({ quiet: json }, async (run) => {
      const [outputs, canary] = await Promise.all([appDetails(run, { json }), currentRollout(run)]);
      if (json) {
        process.stdout.write(jsonLines(outputs, { kind: "app" }));
        if (canary) process.stdout.write(`${JSON.stringify({ kind: "canary", ...canary })}\n`);
      } else {
        printByHost(outputs);
        // A canary runs next to the main version: say which, and what share it gets.
        if (canary) process.stdout.write(`${describeRollout(canary)}\n`);
      }
    });
  },
});

const containers = defineCommand({
  meta: { name: "containers", description: "List all the app's containers on each host, any version and state (versions to roll back to)" },
  args: { json: { type: "boolean", description: "One JSON object per line (Docker's fields, with kind, host and role)" } },
  async run({ args }) {
    const { appContainers } = await ops();
    const json = !!args.json;
    await withRun({ quiet: json }, async (run) => {
      const outputs = await appContainers(run, { json });
      if (json) process.stdout.write(jsonLines(outputs, { kind: "app" }));
      else printByHost(outputs);
    });
  },
});

const images = defineCommand({
  meta: { name: "images", description: "List the app's images on each host" },
  args: { json: { type: "boolean", description: "One JSON object per line (Docker's fields, with kind, host and role)" } },
  async run({ args }) {
    const { appImages } = await ops();
    const json = !!args.json;
    await withRun({ quiet: json }, async (run) => {
      const outputs = await appImages(run, { json });
      if (json) process.stdout.write(jsonLines(outputs, { kind: "app" }));
      else printByHost(outputs);
    });
  },
});

const staleContainers = defineCommand({
  meta: { name: "stale_containers", alias: ["stale-containers"], description: "List running containers of other versions than the current one (and stop them with --stop)" },
  args: { stop: { type: "boolean", alias: "s", description: "Stop the stale containers (takes the deploy lock)" } },
  async run({ args }) {
    const { findStaleContainers, stopStale } = await ops();
    await withRun({}, async (run) => {
      if (args.stop) {
        await stopStale(run);
        return;
      }
      const stale = await findStaleContainers(run);
      if (stale.length === 0) process.stdout.write("No stale containers\n");
      for (const s of stale) {
        process.stdout.write(`Detected stale container for role ${s.role} with version ${s.version} on ${s.host} (use \`sextant app stale_containers --stop\` to stop)\n`);
      }
    });
  },
});

const version = defineCommand({
  meta: { name: "version", description: "Show the app version running on each host" },
  async run() {
    const { appVersions } = await ops();
    await withRun({}, async (run) => {
      const versions = await appVersions(run);
      printByHost(versions.map((v) => ({ ...v, text: v.text || "(not running)" })));
    });
  },
});

const logs = defineCommand({
  meta: { name: "logs", description: "Show the app's log lines per role and host (last 100 unless --since/--grep), or follow them (-f)" },
  args: {
    since: { type: "string", alias: "s", description: "Only lines since this time (e.g. 5m, 2h, 2024-05-01T12:00:00)" },
    lines: { type: "string", alias: "n", description: "Number of lines per container (default 100; 10 with -f)" },
    grep: { type: "string", alias: "g", description: "Only lines matching this grep pattern" },
    "grep-options": { type: "string", description: "Extra grep options, e.g. -i" },
    follow: { type: "boolean", alias: "f", description: "Follow the log of the primary host's container (over ssh, until Ctrl-C)" },
    "skip-timestamps": { type: "boolean", alias: "T", description: "Leave out docker's timestamps" },
    "container-id": { type: "string", description: "Read this container instead of the current one" },
  },
  async run({ args }) {
    const { appLogs } = await ops();
    const { lines, since } = logWindow(args);
    return withRun({}, async (run) => {
      const result = await appLogs(run, {
        follow: args.follow,
        since,
        lines,
        grep: args.grep,
        grepOptions: args["grep-options"],
        timestamps: !args["skip-timestamps"],
        containerId: args["container-id"],
      });
      if (typeof result === "number") return result;
      printByHost(result.map((r) => ({ ...r, text: r.text.trim() === "" ? "Nothing found" : r.text })));
      return 0;
    });
  },
});

/** `-e NAME=VALUE` may repeat: read every one from the raw arguments (before `--`). */
function envPairs(rawArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") break;
    if ((a === "-e" || a === "--env") && rawArgs[i + 1] !== undefined) out.push(rawArgs[++i]!);
    else if (a.startsWith("--env=")) out.push(a.slice(6));
  }
  return out;
}

const exec = defineCommand({
  meta: { name: "exec", description: "Run a command in a new container of the image tagged latest (or --version), or in the running one with --reuse; -i for a terminal session" },
  args: {
    command: { type: "positional", required: false, description: "The command (quote it, or put it after --: sextant app exec -- ls -la)" },
    interactive: { type: "boolean", alias: "i", description: "Interactive session with a terminal on the primary host (over ssh -t)" },
    reuse: { type: "boolean", description: "Run in the running container instead of a new one" },
    env: { type: "string", alias: "e", description: "Set NAME=VALUE in the container (repeatable)" },
    detach: { type: "boolean", description: "Start the container in the background and print its id" },
    raw: { type: "boolean", description: "Print only the command's standard output, byte for byte (no host headers)" },
  },
  async run({ args, rawArgs }) {
    if (args.detach && (args.interactive || args.reuse)) throw new UsageError("Detach is not compatible with interactive or reuse");
    if (args.raw && (args.interactive || args.detach)) throw new UsageError("Raw is not compatible with interactive or detach");
    const { appExec, ExecFailed } = await ops();
    const { parseEnvPairs } = await import("../arguments.ts");
    const command = commandFrom(args._ as string[]);
    const env = parseEnvPairs(envPairs(rawArgs));
    const g = globalOptions();
    const versionFor = args.reuse ? g.version : versionOrLatest();
    return withRun({ version: versionFor, quiet: args.raw }, async (run) => {
      try {
        const result = await appExec(run, command, { interactive: args.interactive, reuse: args.reuse, env, detach: args.detach, versionGiven: g.version !== undefined });
        if (typeof result === "number") return result;
        if (args.raw) for (const output of result) process.stdout.write(output.stdout ?? "");
        else printByHost(result);
        return 0;
      } catch (error) {
        if (error instanceof ExecFailed) {
          if (args.raw) for (const output of error.outputs) process.stdout.write(output.stdout ?? "");
          else printByHost(error.outputs);
        }
        throw error;
      }
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove the app's containers, images and directories from the selected hosts (the proxy stays)" },
  args: { confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" } },
  async run({ args }) {
    const { confirm } = await import("../confirm.ts");
    if (!(await confirm("This will remove the app's containers and images. Are you sure?", args.confirmed))) return 1;
    const { appRemove } = await ops();
    await withRun({}, (run) => appRemove(run));
  },
});

const maintenance = defineCommand({
  meta: { name: "maintenance", description: "Maintenance mode: the proxy answers 503 (with --message) instead of forwarding to the app" },
  args: {
    "drain-timeout": { type: "string", description: "Seconds to let in-flight requests finish (default: drain_timeout)" },
    message: { type: "string", description: "Shown on the 503 page" },
  },
  async run({ args }) {
    const drain = args["drain-timeout"];
    if (drain !== undefined && !/^\d+$/.test(drain)) throw new UsageError(`--drain-timeout takes a number of seconds (got "${drain}")`);
    const { appMaintenance } = await ops();
    await withRun({}, async (run) => {
      await appMaintenance(run, { drainTimeout: drain === undefined ? undefined : Number(drain), message: args.message });
      process.stdout.write("Maintenance mode on: the proxy answers 503. Run `sextant app live` to serve the app again.\n");
    });
  },
});

const live = defineCommand({
  meta: { name: "live", description: "Leave maintenance mode: the proxy forwards to the app again" },
  async run() {
    const { appLive } = await ops();
    await withRun({}, (run) => appLive(run));
  },
});

export default defineCommand({
  meta: { name: "app", description: "Manage the app's containers on the servers" },
  subCommands: {
    boot,
    start,
    stop,
    details,
    containers,
    stale_containers: staleContainers,
    images,
    logs,
    exec,
    version,
    remove,
    maintenance,
    live,
  },
});
