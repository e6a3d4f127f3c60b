import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { versionOrLatest } from "../arguments.ts";
import { confirm } from "../confirm.ts";
import { jsonLines } from "../json-lines.ts";
import { printByHost } from "../print.ts";
import { opCommand, withRun } from "../with-run.ts";

const ops = () => import("../../orchestration/proxy-ops.ts");

const boot = opCommand({ name: "boot", description: "Start the proxy on the proxy hosts (run it if it does not exist)" }, async () => (await ops()).proxyBoot);

const rebootArgs = {
  rolling: { type: "boolean", description: "One host at a time, each back up before the next (no outage behind a load balancer)" },
  confirmed: { type: "boolean", alias: "y", description: "Do not ask for confirmation" },
} as const;

const reboot = defineCommand({
  meta: { name: "reboot", description: "Recreate the proxy container with the current settings (image, ports, options); routes are kept" },
  args: rebootArgs,
  async run({ args }) {
    if (!(await confirm("This will cause a brief outage on each host. Are you sure?", args.confirmed))) return 1;
    const { proxyReboot } = await ops();
    await withRun({}, (run) => proxyReboot(run, { rolling: args.rolling }));
  },
});

const upgrade = defineCommand({
  meta: { name: "upgrade", description: "Move a Kamal 1 server to the proxy: remove Traefik, boot the proxy and the app (latest), prune" },
  args: rebootArgs,
  async run({ args }) {
    if (!(await confirm("This will replace Traefik with the proxy and restart the app. Are you sure?", args.confirmed))) return 1;
    const { proxyUpgrade } = await ops();
    await withRun({ version: versionOrLatest() }, (run) => proxyUpgrade(run, { rolling: args.rolling }));
  },
});

const start = opCommand({ name: "start", description: "Start the existing proxy container" }, async () => (await ops()).proxyStart);

const stop = opCommand({ name: "stop", description: "Stop the proxy container (every app on the host stops being served)" }, async () => (await ops()).proxyStop);

const restart = opCommand({ name: "restart", description: "Stop and start the proxy container" }, async () => (await ops()).proxyRestart);

const details = defineCommand({
  meta: { name: "details", description: "Show the proxy container (docker ps) on each proxy host" },
  args: { json: { type: "boolean", description: "One JSON object per line (Docker's fields, with kind, host and role)" } },
  async run({ args }) {
    const { proxyDetails } = await ops();
    const json = !!args.json;
    await withRun({ quiet: json }, async (run) => {
      const outputs = await proxyDetails(run, { json });
      if (json) process.stdout.write(jsonLines(outputs, { kind: "proxy" }));
      else printByHost(outputs, "Proxy");
    });
  },
});

const logs = defineCommand({
  meta: { name: "logs", description: "Show the proxy's log lines (last 100 unless --since/--grep), or follow them (-f)" },
  args: {
    since: { type: "string", alias: "s", description: "Only lines since this time (e.g. 5m, 2h)" },
    lines: { type: "string", alias: "n", description: "Number of lines (default 100)" },
    grep: { type: "string", alias: "g", description: "Only lines matching this grep pattern" },
    "grep-options": { type: "string", description: "Extra grep options, e.g. -i" },
    follow: { type: "boolean", alias: "f", description: "Follow the first proxy host's log (over ssh, until Ctrl-C)" },
    "skip-timestamps": { type: "boolean", alias: "T", description: "Leave out docker's timestamps" },
  },
  async run({ args }) {
    if (args.lines !== undefined && !/^\d+$/.test(args.lines)) throw new UsageError(`--lines takes a number (got "${args.lines}")`);
    const { proxyLogs } = await ops();
    return withRun({}, async (run) => {
      const result = await proxyLogs(run, {
        follow: args.follow,
        since: args.since,
        lines: args.lines === undefined ? undefined : Number(args.lines),
        grep: args.grep,
        grepOptions: args["grep-options"],
        timestamps: !args["skip-timestamps"],
      });
      if (typeof result === "number") return result;
      printByHost(
        result.map((r) => ({ ...r, text: r.text.trim() === "" ? "Nothing found" : r.text })),
        "Proxy",
      );
      return 0;
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove the proxy container, image and files (refused while apps are installed, unless --force)" },
  args: { force: { type: "boolean", description: "Remove it even though apps are installed on the host" } },
  async run({ args }) {
    const { proxyRemove } = await ops();
    await withRun({}, (run) => proxyRemove(run, { force: args.force }));
  },
});

/** Repeatable options (`--publish-host-ip A --publish-host-ip B`, `--docker-options a=b c=d`) from the raw arguments. */
function repeated(rawArgs: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === `--${name}`) {
      while (rawArgs[i + 1] !== undefined && !rawArgs[i + 1]!.startsWith("--")) out.push(rawArgs[++i]!);
    } else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out.flatMap((v) => v.split(/[ ,]+/)).filter(Boolean);
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new UsageError(`--${name} takes a port number (got "${value}")`);
  return Number(value);
}

const bootConfigSet = defineCommand({
  meta: { name: "set", description: "Write the proxy's boot settings to the hosts (applied by the next `proxy reboot`)" },
  args: {
    publish: { type: "boolean", default: true, description: "Publish the HTTP and HTTPS ports on the host (--no-publish: don't)" },
    "publish-host-ip": { type: "string", description: "Bind the ports to this host IP (repeatable)" },
    "http-port": { type: "string", description: "Host port for HTTP (default 80)" },
    "https-port": { type: "string", description: "Host port for HTTPS (default 443)" },
    "log-max-size": { type: "string", description: "Docker log max-size (default 10m)" },
    registry: { type: "string", description: "Registry of the proxy image" },
    repository: { type: "string", description: "Repository of a registry proxy image, e.g. basecamp/kamal-proxy (tag v0.9.2 unless --image-version; default: sextant's own image)" },
    "image-version": { type: "string", description: "Tag of the proxy image" },
    "metrics-port": { type: "string", description: "Serve Prometheus metrics on this port" },
    debug: { type: "boolean", description: "Debug logging in the proxy" },
    "docker-options": { type: "string", description: "Extra docker run options as name=value (space separated)" },
  },
  async run({ args, rawArgs }) {
    const { bootConfigSet } = await ops();
    const options = {
      publish: args.publish,
      publishHostIps: repeated(rawArgs, "publish-host-ip"),
      httpPort: port(args["http-port"], "http-port"),
      httpsPort: port(args["https-port"], "https-port"),
      logMaxSize: args["log-max-size"],
      registry: args.registry,
      repository: args.repository,
      imageVersion: args["image-version"],
      metricsPort: port(args["metrics-port"], "metrics-port"),
      debug: args.debug,
      dockerOptions: repeated(rawArgs, "docker-options"),
    };
    await withRun({}, (run) => bootConfigSet(run, options));
  },
});

const bootConfigGet = defineCommand({
  meta: { name: "get", description: "Show the proxy's docker run arguments as the boot settings give them, per host" },
  async run() {
    const { bootConfigGet } = await ops();
    await withRun({}, async (run) => {
      for (const { host, text } of await bootConfigGet(run)) process.stdout.write(`Host ${host}: ${text.trim()}\n`);
    });
  },
});

const bootConfigReset = defineCommand({
  meta: { name: "reset", description: "Remove the boot settings, so the defaults apply at the next `proxy reboot`" },
  async run() {
    const { bootConfigReset } = await ops();
    await withRun({}, (run) => bootConfigReset(run));
  },
});

const bootConfig = defineCommand({
  meta: { name: "boot_config", alias: ["boot-config"], description: "Manage the proxy's boot settings (ports, bind IPs, logs, image, metrics); proxy.run in the config takes precedence" },
  subCommands: { set: bootConfigSet, get: bootConfigGet, reset: bootConfigReset },
});

export default defineCommand({
  meta: { name: "proxy", description: "Manage the proxy (kamal-proxy compatible) on the servers" },
  subCommands: { boot, reboot, start, stop, restart, details, logs, remove, upgrade, boot_config: bootConfig },
});
