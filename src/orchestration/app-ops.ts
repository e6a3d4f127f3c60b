/**
 * Day-to-day app commands (Kamal's `kamal app ...`, cli/app.rb): boot, start, stop, details,
 * containers, stale containers, images, logs, exec, version, remove, maintenance and live. Each
 * works on the selection's roles and hosts; what the servers answer is returned per host for the
 * CLI to print, state changes are audited and the ones Kamal locks are locked.
 */
import { randomBytes } from "node:crypto";
import { appCommands, type LogsOptions, removeAllContainers } from "../commands/app.ts";
import { listContainers, listImages, removeImages } from "../commands/images.ts";
import { type ListingOptions, listing } from "../commands/json-format.ts";
import * as proxy from "../commands/proxy.ts";
import * as server from "../commands/server.ts";
import { type Argv, render } from "../commands/shell.ts";
import type { Role } from "../config/model.ts";
import { SextantError, UsageError } from "../errors.ts";
import { BootError, bootApp, stopStaleContainers } from "./app-boot.ts";
import { withBasicAuthFiles } from "./basic-auth.ts";
import { runInteractive, stdinIsTty } from "./interactive.ts";
import { withLock } from "./lock.ts";
import { loginOnHosts } from "./registry.ts";
import type { Run } from "./run.ts";

/** What one host answered. */
export interface HostOutput {
  host: string;
  /** The role, for per-role listings. */
  role?: string;
  text: string;
  /** Standard output alone (exec --raw prints only this). */
  stdout?: string;
  /** False when the command failed there (exec). */
  ok?: boolean;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

function requireAppHosts(run: Run, what: string): readonly string[] {
  const hosts = run.selection.appHosts;
  if (hosts.length === 0) {
    throw new UsageError(`No app hosts selected for ${what}`, { hint: "Check --hosts/--roles: they must name hosts that run a role of this app." });
  }
  return hosts;
}

/** Run a read-only command per (host, role) and collect the output. */
async function perRole(run: Run, what: string, build: (host: string, role: Role) => Argv, options: { allowFailure?: boolean } = {}): Promise<HostOutput[]> {
  const out: HostOutput[] = [];
  const hosts = requireAppHosts(run, what);
  await run.session.onHosts(hosts, what, async (host) => {
    for (const role of run.selection.rolesOn(host)) {
      const result = await run.session.exec(host, render(build(host, role)), { allowFailure: options.allowFailure });
      out.push({ host, role: role.name, text: result.code === 0 ? result.stdout : `${result.stdout}${result.stderr}` });
    }
  });
  return order(run, out);
}

/** Output in the selection's host order (hosts answer in parallel). */
function order(run: Run, outputs: HostOutput[]): HostOutput[] {
  const hosts = run.selection.hosts;
  const roles = run.selection.roles.map((r) => r.name);
  return outputs.sort((a, b) => hosts.indexOf(a.host) - hosts.indexOf(b.host) || roles.indexOf(a.role ?? "") - roles.indexOf(b.role ?? ""));
}

/** `app details`: `docker ps` of the app's containers per role and host. */
export function appDetails(run: Run, options: ListingOptions = {}): Promise<HostOutput[]> {
  return perRole(run, "app details", (host, role) => listing(appCommands(run.config, role, host).info(), options));
}

/** `app containers`: every container of the app (any version, any state) per host. */
export async function appContainers(run: Run, options: ListingOptions = {}): Promise<HostOutput[]> {
  return onEachHost(run, requireAppHosts(run, "app containers"), "containers listed", () => listing(listContainers(run.config), options));
}

/** `app images`: the app's images per host. */
export async function appImages(run: Run, options: ListingOptions = {}): Promise<HostOutput[]> {
  return onEachHost(run, requireAppHosts(run, "app images"), "images listed", () => listing(listImages(run.config), options));
}

export async function onEachHost(run: Run, hosts: readonly string[], what: string, build: (host: string) => Argv | string): Promise<HostOutput[]> {
  const out: HostOutput[] = [];
  await run.session.onHosts(hosts, what, async (host) => {
    const argv = build(host);
    out.push({ host, text: (await run.session.exec(host, typeof argv === "string" ? argv : render(argv))).stdout });
  });
  return order(run, out);
}

/** `app version`: the running version on each app host (first selected role there). */
export async function appVersions(run: Run): Promise<HostOutput[]> {
  const out: HostOutput[] = [];
  const hosts = requireAppHosts(run, "app version");
  await run.session.onHosts(hosts, "version read", async (host) => {
    const role = run.selection.rolesOn(host)[0]!;
    const version = (await run.session.tryExec(host, render(appCommands(run.config, role, host).currentRunningVersion()))).stdout.trim();
    out.push({ host, role: role.name, text: version });
  });
  return order(run, out);
}

export interface StaleContainer {
  host: string;
  role: string;
  version: string;
}

/** Running containers of other versions next to the current one. */
export async function findStaleContainers(run: Run): Promise<StaleContainer[]> {
  const stale: StaleContainer[] = [];
  const hosts = requireAppHosts(run, "stale containers");
  await run.session.onHosts(hosts, "stale containers checked", async (host) => {
    for (const role of run.selection.rolesOn(host)) {
      const app = appCommands(run.config, role, host);
      const versions = (await run.session.tryExec(host, render(app.listVersions()))).stdout.trim().split("\n").filter(Boolean);
      const current = (await run.session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();
      for (const version of versions) if (version !== current) stale.push({ host, role: role.name, version });
    }
  });
  return stale;
}

/** `app stale_containers --stop` (under the lock). */
export async function stopStale(run: Run): Promise<void> {
  await withLock(run, () => stopStaleContainers(run, requireAppHosts(run, "stale containers")));
}

/** `app boot`: the full boot (app-boot.ts) of `run.config.version` under the lock. */
export async function appBoot(run: Run): Promise<void> {
  await withLock(run, async () => {
    run.session.emit({ type: "info", message: `Start container with version ${run.config.version} (or reboot if already running)...` });
    await bootApp(run, { hosts: requireAppHosts(run, "app boot") });
  });
}

/** `app start`: start the current version's existing containers, and route the proxy to them. */
export async function appStart(run: Run): Promise<void> {
  const { session, config } = run;
  const version = config.version;
  const hosts = requireAppHosts(run, "app start");
  await withLock(run, () =>
    withBasicAuthFiles(run, hosts, () =>
      session.onHosts(hosts, `started ${version}`, async (host) => {
        for (const role of run.selection.rolesOn(host)) {
          const app = appCommands(config, role, host);
          await run.audit(host, `Started app version ${version}`, { role: role.name });
          const started = await session.tryExec(host, render(app.start()));
          if (started.code !== 0) {
            throw new SextantError(`There is no ${app.containerName()} container on ${host} to start`, {
              hint: "List the versions there with `sextant app containers`, and pass one with --version (or boot it with `sextant app boot`).",
            });
          }
          if (role.runningProxy) {
            const running = (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();
            // One id per replica.
            const ids = running
              ? (await session.capture(host, render(app.containerIdForVersion(running))))
                  .split("\n")
                  .map((l) => l.trim())
                  .filter(Boolean)
              : [];
            const id = ids.length > 1 ? ids : ids[0];
            if (!id) {
              throw new BootError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`, {
                hint: `Look at \`sextant app containers -h ${host}\` and \`sextant app logs -h ${host}\`; \`sextant app boot\` starts a fresh container.`,
              });
            }
            await proxyCommand(run, host, render(app.deploy(id)));
          }
        }
      }),
    ),
  );
}

/** `app stop`: take the current containers out of the proxy, then stop them. */
export async function appStop(run: Run): Promise<void> {
  const { session, config } = run;
  await withLock(run, () =>
    session.onHosts(requireAppHosts(run, "app stop"), "stopped", async (host) => {
      for (const role of run.selection.rolesOn(host)) {
        const app = appCommands(config, role, host);
        await run.audit(host, "Stopped app", { role: role.name });
        if (role.runningProxy) {
          const current = (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();
          if (current) await session.tryExec(host, render(app.removeFromProxy()));
        }
        await session.tryExec(host, render(app.stop()));
      }
    }),
  );
}

/** `app remove`: stop, then remove the containers, images and directories of the selected roles. */
export async function appRemove(run: Run): Promise<void> {
  const hosts = requireAppHosts(run, "app remove");
  await withLock(run, () => run.session.onHosts(hosts, "app removed", (host) => removeAppFrom(run, host)));
}

/**
 * On one host (under the lock): the selected roles' containers leave the proxy and go, any version
 * or state; the app's images and directories go too once no role of the app is left there.
 */
export async function removeAppFrom(run: Run, host: string): Promise<void> {
  const { session, config } = run;
  const roles = run.selection.rolesOn(host);
  for (const role of roles) {
    const app = appCommands(config, role, host);
    if (role.runningProxy) await session.tryExec(host, render(app.removeFromProxy()));
    await session.tryExec(host, render(app.stop()));
    await run.audit(host, "Removed all app containers", { role: role.name });
    await session.exec(host, render(removeAllContainers(config, role.name)));
  }
  // Images and directories are shared by every role on the host: only when all of them go.
  if (config.rolesOnHost(host).every((r) => roles.some((s) => s.name === r.name))) {
    await run.audit(host, "Removed all app images");
    await session.tryExec(host, render(removeImages(config)));
    await run.audit(host, `Removed ${config.appDirectory}`);
    // Either may be missing (an app without proxy roles has no proxy app directory).
    await session.tryExec(host, render(server.removeAppDirectory(config)));
    await session.tryExec(host, render(server.removeProxyAppDirectory(config)));
  }
}

/** A `kamal-proxy` command in the proxy container; a failure says what the proxy answered and where to look. */
async function proxyCommand(run: Run, host: string, command: string): Promise<void> {
  const result = await run.session.tryExec(host, command);
  if (result.code === 0) return;
  const answer = (result.stderr || result.stdout).trim().replace(/^Error: /, "");
  throw new SextantError(`The proxy on ${host} refused: ${answer}`, {
    hint: /No such container|is not running/.test(answer)
      ? "The proxy is not running there: `sextant proxy boot` (or `sextant proxy start`) first."
      : "Is the app deployed there? See `sextant app details` and `sextant proxy logs`.",
  });
}

function proxyRoleHosts(run: Run, what: string): string[] {
  const hosts = requireAppHosts(run, what).filter((h) => run.selection.rolesOn(h).some((r) => r.runningProxy));
  if (hosts.length === 0) throw new UsageError(`No selected role runs behind the proxy, so there is nothing to ${what}`, { hint: "Select a role with a proxy section (--roles)." });
  return hosts;
}

/** `app maintenance`: the proxy answers 503 (with the message) instead of forwarding. */
export async function appMaintenance(run: Run, options: { drainTimeout?: number; message?: string }): Promise<void> {
  const { session, config } = run;
  await withLock(run, () =>
    session.onHosts(proxyRoleHosts(run, "put into maintenance"), "maintenance mode", async (host) => {
      for (const role of run.selection.rolesOn(host).filter((r) => r.runningProxy)) {
        await run.audit(host, "Maintenance mode", { role: role.name });
        await proxyCommand(run, host, render(appCommands(config, role, host).maintenance({ drainTimeout: options.drainTimeout ?? config.drainTimeout, message: options.message })));
      }
    }),
  );
}

/** `app live`: leave maintenance mode. */
export async function appLive(run: Run): Promise<void> {
  const { session, config } = run;
  await withLock(run, () =>
    session.onHosts(proxyRoleHosts(run, "make live"), "live", async (host) => {
      for (const role of run.selection.rolesOn(host).filter((r) => r.runningProxy)) {
        await run.audit(host, "Live mode", { role: role.name });
        await proxyCommand(run, host, render(appCommands(config, role, host).live()));
      }
    }),
  );
}

export interface AppLogsOptions extends LogsOptions {
  follow?: boolean;
}

/** `app logs`: the current containers' logs per role and host; `-f` follows on the primary host over ssh. */
export async function appLogs(run: Run, options: AppLogsOptions): Promise<HostOutput[] | number> {
  if (options.follow) {
    const host = run.selection.primaryHost;
    const role = host ? run.selection.rolesOn(host)[0] : undefined;
    if (!host || !role) throw new UsageError("No app host selected to follow logs on", { hint: "Check --hosts/--roles." });
    const app = appCommands(run.config, role, host);
    run.session.emit({ type: "info", message: `Following logs on ${host}...` });
    return runInteractive(run, host, app.followLogs({ lines: options.lines ?? 10, grep: options.grep, grepOptions: options.grepOptions, containerId: options.containerId, timestamps: options.timestamps }));
  }
  const lines = options.lines ?? (options.since !== undefined || options.grep !== undefined ? undefined : 100);
  return perRole(run, "logs read", (host, role) => appCommands(run.config, role, host).logs({ ...options, lines }), { allowFailure: true });
}

export interface AppExecOptions {
  interactive?: boolean;
  reuse?: boolean;
  env?: Record<string, string>;
  /** --version was given: use it even with --reuse (else the running version). */
  versionGiven?: boolean;
  /** Start the new container in the background (`docker run --detach`) and print its id. */
  detach?: boolean;
}

/** `app exec`: a command in a new container of the version (or in the running one with --reuse). */
export async function appExec(run: Run, command: string, options: AppExecOptions): Promise<HostOutput[] | number> {
  const { session, config } = run;
  if (options.interactive) {
    const host = run.selection.primaryHost;
    const role = host ? run.selection.rolesOn(host)[0] : undefined;
    if (!host || !role) throw new UsageError("No app host selected to run the command on", { hint: "Check --hosts/--roles." });
    const tty = stdinIsTty();
    const app = appCommands(config, role, host);
    if (options.reuse) {
      const running = (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();
      const version = options.versionGiven ? config.version : running;
      if (!version) throw new SextantError(`No running ${role.name} container on ${host} to exec into`, { hint: "Drop --reuse to run the command in a new container, or boot the app first." });
      const argv = appCommands(configWithVersion(run, version), role, host).execInExisting(command, { interactive: true, tty, env: options.env });
      session.emit({ type: "info", message: `Launching interactive command with version ${version} via SSH from existing container on ${host}...` });
      return runInteractive(run, host, argv);
    }
    await loginOnHosts(run, [host]);
    session.emit({ type: "info", message: `Launching interactive command with version ${config.version} via SSH from new container on ${host}...` });
    return runInteractive(run, host, app.execInNew(command, { interactive: true, tty, env: options.env, hex6: hex(3) }));
  }

  const hosts = requireAppHosts(run, "app exec");
  const out: HostOutput[] = [];
  if (options.reuse) {
    session.emit({ type: "info", message: `Launching command from existing container...` });
    await session.onHosts(hosts, "command run", async (host) => {
      for (const role of run.selection.rolesOn(host)) {
        const version = options.versionGiven ? config.version : (await session.tryExec(host, render(appCommands(config, role, host).currentRunningVersion()))).stdout.trim();
        if (!version) throw new SextantError(`No running ${role.name} container on ${host} to exec into`, { hint: "Drop --reuse to run the command in a new container." });
        await run.audit(host, `Executed cmd '${command}' on app version ${version}`, { role: role.name });
        const argv = appCommands(configWithVersion(run, version), role, host).execInExisting(command, { env: options.env });
        out.push(commandOutput(host, role.name, await session.tryExec(host, render(argv))));
      }
    });
  } else {
    session.emit({ type: "info", message: `Launching command with version ${config.version} from new container...` });
    await loginOnHosts(run, hosts);
    await session.onHosts(hosts, "command run", async (host) => {
      for (const role of run.selection.rolesOn(host)) {
        await run.audit(host, `Executed cmd '${command}' on app version ${config.version}`, { role: role.name });
        const argv = appCommands(config, role, host).execInNew(command, { env: options.env, hex6: hex(3), detach: options.detach });
        out.push(commandOutput(host, role.name, await session.tryExec(host, render(argv))));
      }
    });
  }
  const failed = out.filter((o) => o.ok === false);
  if (failed.length > 0) {
    throw new ExecFailed(order(run, out), `the command failed on ${failed.map((f) => f.host).join(", ")}`);
  }
  return order(run, out);
}

/** A failed `app exec`: the outputs are still printed. */
export class ExecFailed extends SextantError {
  constructor(
    readonly outputs: HostOutput[],
    message: string,
  ) {
    super(message, { hint: "The output above is what the command printed. Run with -v to see the docker commands." });
  }
}

function commandOutput(host: string, role: string, result: { code: number | null; stdout: string; stderr: string }): HostOutput {
  const text = `${result.stdout}${result.stderr}`;
  return { host, role, text, stdout: result.stdout, ok: result.code === 0 };
}

/** The config seen through another version (exec into a running container of another version). */
function configWithVersion(run: Run, version: string) {
  const config = run.config;
  return new Proxy(config, {
    get(target, key) {
      if (key === "version") return version;
      if (key === "absoluteImage") return `${config.repository}:${version}`;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The proxy container's name, for messages. */
export const PROXY_CONTAINER = proxy.PROXY_CONTAINER;
