/**
 * App boot (Kamal's cli/app/boot.rb): per host and role, rename a clashing container, start the new version,
 * switch the proxy to it once healthy (or wait for readiness without a proxy), then stop the old
 * version. The primary role's first container opens a barrier the other roles wait at, so a broken
 * release never reaches them. A failure stops the new container; the old one keeps serving.
 */
import { randomBytes } from "node:crypto";
import { appCommands } from "../commands/app.ts";
import { tagLatestImage } from "../commands/images.ts";
import { replacedVersion } from "../commands/names.ts";
import { combine, render } from "../commands/shell.ts";
import type { Role } from "../config/model.ts";
import { SextantError } from "../errors.ts";
import { cleanUpAfterBoot, prepareHosts } from "./app-prepare.ts";
import { Barrier } from "./barrier.ts";
import { withBasicAuthFiles } from "./basic-auth.ts";
import { diskFullError, isDiskFull } from "./disk-full.ts";
import { waitUntilReady } from "./health.ts";
import type { Run } from "./run.ts";
import { uploadSslCertificates } from "./ssl-certificates.ts";

export class BootError extends SextantError {}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

export interface BootOptions {
  /** Hosts to boot on (default: the selection's app hosts). */
  hosts?: readonly string[];
  /** Running versions already read (by stopStaleContainers), to spare each host a lookup. */
  currentVersions?: CurrentVersions;
}

/** The running version of each role on each host: `host -> role -> version` ("" when none). */
export type CurrentVersions = Map<string, Map<string, string>>;

/** Boot `run.config.version` on the app hosts, group by group (boot.limit / boot.wait). */
export async function bootApp(run: Run, options: BootOptions = {}): Promise<void> {
  const config = run.config;
  const hosts = options.hosts ?? run.selection.appHosts;
  const barrier = new Barrier();
  const primary = run.selection.primaryRole?.name;
  const limit = config.boot.limit ?? hosts.length;
  const groups: string[][] = [];
  for (let i = 0; i < hosts.length; i += Math.max(1, limit)) groups.push(hosts.slice(i, i + Math.max(1, limit)));

  // Error pages, assets and custom certificates are on every host before any container starts
  // (Kamal's order); a missing error pages directory fails here, before anything changed.
  await prepareHosts(run, hosts, options.currentVersions);
  await uploadSslCertificates(run, hosts);

  // Credentials for proxy basic auth exist on the servers only while the proxy deploys run.
  await withBasicAuthFiles(run, hosts, async () => {
    for (const [index, group] of groups.entries()) {
      await run.hook("pre-app-boot", { hosts: group });
      await run.session.onHosts(group, `booted ${config.version}`, async (host) => {
        const roles = run.selection.rolesOn(host);
        const known = options.currentVersions?.get(host);
        try {
          if (config.boot.parallelRoles) await Promise.all(roles.map((role) => bootRole(run, host, role, barrier, known?.get(role.name))));
          else for (const role of roles) await bootRole(run, host, role, barrier, known?.get(role.name));
        } catch (error) {
          // Whatever failed on a primary-role host (unreachable, a rename, the boot itself), the
          // other roles must not wait for a healthy container that will never come.
          if (roles.some((r) => r.name === primary) && barrier.close()) {
            run.session.emit({ type: "warn", message: `First ${primary} container failed on ${host}, not booting any other roles` });
          }
          throw error;
        }
      });
      await run.hook("post-app-boot", { hosts: group });
      if (config.boot.wait && index < groups.length - 1) await new Promise((r) => setTimeout(r, config.boot.wait! * 1000));
    }
  });

  await run.session.onHosts(hosts, `tagged ${config.latestTag}`, async (host) => {
    await run.audit(host, `Tagging ${config.absoluteImage} as the latest image`);
    await run.session.exec(host, render(tagLatestImage(config)));
  });
}

/**
 * Audit, the role's env file (0600), then `docker run` for each replica; returns the new containers'
 * ids (`docker run --detach` prints them: no second lookup). A proxy role needs an id to route to.
 */
export async function startContainers(run: Run, host: string, role: Role, options: { audit: string; replicas: number }): Promise<string[]> {
  const { config, session } = run;
  const app = appCommands(config, role, host);
  // The audit line and the env directory in one round trip.
  await session.exec(host, render(combine(run.auditCommand(options.audit, { role: role.name }), app.ensureEnvDirectory())));
  const env = role.env(host);
  session.protect(Object.values(env.secretValues()));
  await (await session.connection(host)).upload(env.envFileContent(), role.envFile, { mode: 0o600 });
  const ids: string[] = [];
  for (let replica = 1; replica <= options.replicas; replica++) {
    const started = await session.capture(host, render(app.run({ hostnameHex: hex(6), replica })));
    const id = started.split("\n").at(-1)?.trim().slice(0, 12);
    if (role.runningProxy && (!id || !/^[0-9a-f]{12}$/.test(id))) throw new BootError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`);
    ids.push(id ?? "");
  }
  return ids;
}

async function bootRole(run: Run, host: string, role: Role, barrier: Barrier, knownCurrent?: string): Promise<void> {
  const { config, session } = run;
  const app = appCommands(config, role, host);
  const version = config.version;
  const isPrimary = role.name === run.selection.primaryRole?.name;

  const clash = await session.capture(host, render(app.containerIdForVersion(version)));
  let renamed: string | undefined;
  if (clash) {
    renamed = replacedVersion(version, hex(8));
    session.emit({ type: "info", message: `Renaming container ${version} to ${renamed} as already deployed on ${host}` });
    await run.audit(host, `Renaming container ${version} to ${renamed}`, { role: role.name });
    await session.exec(host, render(app.rename(version, renamed)));
  }
  // The version to stop afterwards. Known without asking when the stale check just read it: the
  // running container is then either that version or, if it was this version, the renamed one.
  const oldVersion = knownCurrent !== undefined && (renamed === undefined || knownCurrent === version) ? (renamed ?? knownCurrent) : (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();

  if (!isPrimary && run.selection.primaryRole) {
    const primary = run.selection.primaryRole.name;
    if (!barrier.decided) session.emit({ type: "info", message: `Waiting for the first healthy ${primary} container before booting ${role.name} on ${host}...` });
    if (!(await barrier.wait())) {
      throw new BootError(`First ${primary} container is unhealthy, not booting ${role.name} on ${host}`);
    }
  }

  try {
    // With replicas, one container each, all handed to the proxy in one deploy (it health-checks every target).
    const ids = await startContainers(run, host, role, { audit: `Booted app version ${version}`, replicas: role.replicas });

    if (role.runningProxy) {
      const id = ids.length === 1 ? ids[0]! : ids;
      const deploy = await session.tryExec(host, render(app.deploy(id)));
      if (deploy.code !== 0) {
        const reason = (deploy.stderr || deploy.stdout).trim().replace(/^Error: /, "");
        const check = role.proxy?.healthcheck.path ?? "/up";
        throw new BootError(`the new container did not pass its health check on ${host}: ${reason}\n` + `  checked: ${ids.map((i) => `http://${i}:${role.proxy?.appPort ?? 80}${check}`).join(", ")} from the proxy`);
      }
    } else {
      for (let replica = 1; replica <= role.replicas; replica++) {
        await waitUntilReady(session, {
          host,
          statusCommand: render(app.status(version, replica)),
          deployTimeoutSeconds: config.deployTimeout,
          readinessDelaySeconds: config.readinessDelay,
        });
      }
    }
  } catch (error) {
    if (isPrimary && barrier.close()) {
      session.emit({ type: "warn", message: `First ${role.name} container is unhealthy on ${host}, not booting any other roles` });
    }
    // (Neither exists when the container never started.)
    const output = async (command: string) => {
      const result = await session.tryExec(host, command);
      return result.code === 0 ? result.stdout.trim() : "";
    };
    const logs = await output(render(app.containerLogs(version, 20)));
    // Docker's own health check log, when the image has a HEALTHCHECK (Kamal prints it too).
    const health = await output(render(app.healthLog(version)));
    await session.tryExec(host, render(app.stop({ version })));
    session.emit({ type: "warn", message: `Failed to boot ${role.name} on ${host}` });
    if (isDiskFull(error)) throw await diskFullError(run, host, error, `starting ${role.name} ${version}`);
    if (error instanceof BootError || error instanceof SextantError) {
      const indent = (text: string) =>
        text
          .split("\n")
          .map((l) => `    ${l}`)
          .join("\n");
      const withLogs = error.message + (logs ? `\n  last lines of the container's log:\n${indent(logs)}` : "") + (health && health !== "null" ? `\n  Docker health check log:\n${indent(health)}` : "");
      throw new BootError(withLogs, { hint: error.hint ?? "The previous version is still serving. Fix the app (or its health check path) and deploy again.", cause: error });
    }
    throw error;
  }

  if (isPrimary && barrier.open()) {
    session.emit({ type: "info", message: `First ${role.name} container is healthy on ${host}, booting any other roles` });
  }
  if (oldVersion && oldVersion !== version) {
    await session.tryExec(host, render(app.stop({ version: oldVersion })));
    await cleanUpAfterBoot(run, host, role);
  }
}

/** Stop containers of other versions that still run next to the current one (Kamal's `app stale_containers --stop`). */
export async function stopStaleContainers(run: Run, hosts: readonly string[] = run.selection.appHosts): Promise<CurrentVersions> {
  const { session } = run;
  const currentVersions: CurrentVersions = new Map();
  await session.onHosts(hosts, "stale containers checked", async (host) => {
    const onHost = new Map<string, string>();
    currentVersions.set(host, onHost);
    for (const role of run.selection.rolesOn(host)) {
      const app = appCommands(run.config, role, host);
      // Both lists in one round trip, split by a marker line.
      const both = (await session.tryExec(host, render(app.versionsThenCurrent()))).stdout;
      const [listed = "", currentText = ""] = both.split("---\n");
      const versions = listed.trim().split("\n").filter(Boolean);
      const current = currentText.trim();
      onHost.set(role.name, current);
      for (const version of versions) {
        if (version === current) continue;
        session.emit({ type: "info", message: `Stopping stale container for role ${role.name} with version ${version} on ${host}` });
        await session.tryExec(host, render(app.stop({ version })));
      }
    }
  });
  return currentVersions;
}
