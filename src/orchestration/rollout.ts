/**
 * Canary releases: a new version runs next to the main one and the proxy sends it the requests
 * whose `kamal-rollout` cookie falls in a percentage split (or an allowlist) — kamal-proxy's
 * rollout, driven from the CLI:
 *
 *   deploy --canary N   build, pull, start the new version's containers on the proxy roles' hosts,
 *                       install them as each service's rollout group, and split N% to them
 *   rollout set N       change the split
 *   rollout promote     make the canary the main version everywhere (a normal zero-downtime boot,
 *                       non-proxy roles included), then retire the canary containers
 *   rollout stop        everyone back on the main version, canary containers stopped
 *
 * Every step takes the deploy lock and writes audit lines; a normal deploy or rollback refuses to
 * run while a canary is out, so the two never fight over the proxy.
 */
import { randomBytes } from "node:crypto";
import { appCommands } from "../commands/app.ts";
import { replacedVersion } from "../commands/names.ts";
import { parseRecord, type RolloutRecord, readRecord, removeRecord, writeRecord } from "../commands/rollout.ts";
import { render } from "../commands/shell.ts";
import type { Role } from "../config/model.ts";
import { SextantError } from "../errors.ts";
import { bootApp, startContainers } from "./app-boot.ts";
import { buildAndPush, pullOnHosts } from "./build.ts";
import { checkLockFree, withLock } from "./lock.ts";
import { bootProxy } from "./proxy-boot.ts";
import type { Run } from "./run.ts";

export class RolloutError extends SextantError {}

export interface CanaryOptions {
  percent: number;
  list?: string[];
  skipPush?: boolean;
  noCache?: boolean;
}

export function checkPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RolloutError(`the canary percentage must be a whole number from 0 to 100 (got ${percent})`, { hint: "e.g. sextant deploy --canary 10" });
  }
}

/** Proxy roles' hosts: where the canary runs. */
function proxyHosts(run: Run): string[] {
  return run.selection.appHosts.filter((h) => run.selection.rolesOn(h).some((r) => r.runningProxy));
}

const proxyRoles = (run: Run, host: string): Role[] => run.selection.rolesOn(host).filter((r) => r.runningProxy);

/** The canary on the servers, as recorded on the primary host (undefined when none). */
export async function currentRollout(run: Run): Promise<RolloutRecord | undefined> {
  const host = run.config.primaryHost;
  if (!host) return undefined;
  return parseRecord((await run.session.tryExec(host, render(readRecord(run.config)))).stdout);
}

/** For deploy/redeploy/rollback: a canary must be promoted or stopped first. */
export async function refuseDuringRollout(run: Run, what: string): Promise<void> {
  const record = await currentRollout(run);
  if (!record) return;
  throw new RolloutError(`a canary of ${record.version} is running at ${record.percent}%, not starting ${what}`, {
    hint: "Finish it first: `sextant rollout promote` (make it the main version) or `sextant rollout stop` (drop it).",
  });
}

async function record(run: Run, value: RolloutRecord | undefined): Promise<void> {
  const command = render(value ? writeRecord(run.config, value) : removeRecord(run.config));
  await run.session.onHosts(run.selection.appHosts, "rollout recorded", (host) => run.session.exec(host, command).then(() => undefined));
}

async function setSplit(run: Run, percent: number, list: readonly string[]): Promise<void> {
  await run.session.onHosts(proxyHosts(run), `canary at ${percent}%`, async (host) => {
    for (const role of proxyRoles(run, host)) {
      await run.audit(host, `Set the canary split to ${percent}%${list.length ? ` and ${list.join(",")}` : ""}`, { role: role.name });
      await run.session.exec(host, render(appCommands(run.config, role, host).rolloutSet({ percent, list })));
    }
  });
}

/** Start the canary container of one role and install it as the rollout target. */
async function bootCanary(run: Run, host: string, role: Role): Promise<void> {
  const { config, session } = run;
  const app = appCommands(config, role, host);
  const version = config.version;
  const current = (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim();
  if (current === version) {
    throw new RolloutError(`${version} is already the main version of ${role.name} on ${host}`, { hint: "Commit a change first: a canary is a new version." });
  }
  if (await session.capture(host, render(app.containerIdForVersion(version)))) {
    const renamed = replacedVersion(version, randomBytes(8).toString("hex"));
    await session.exec(host, render(app.rename(version, renamed)));
    await session.tryExec(host, render(app.stop({ version: renamed })));
  }
  // One canary container per host, whatever the role's replicas.
  const [id] = await startContainers(run, host, role, { audit: `Booted canary version ${version}`, replicas: 1 });
  const deployed = await session.tryExec(host, render(app.rolloutDeploy(id!)));
  if (deployed.code !== 0) {
    const logs = (await session.tryExec(host, render(app.containerLogs(version, 20)))).stdout.trim();
    await session.tryExec(host, render(app.stop({ version })));
    const reason = (deployed.stderr || deployed.stdout).trim().replace(/^Error: /, "");
    throw new RolloutError(
      `the canary did not pass its health check on ${host}: ${reason}${
        logs
          ? `\n  last lines of the container's log:\n${logs
              .split("\n")
              .map((l) => `    ${l}`)
              .join("\n")}`
          : ""
      }`,
      {
        hint: "Nothing changed for your users: the main version serves every request. Fix the app and try again.",
      },
    );
  }
}

/** `deploy --canary N`: the new version next to the main one, N% of cookies routed to it. */
export async function deployCanary(run: Run, options: CanaryOptions): Promise<void> {
  const s = run.session;
  checkPercent(options.percent);
  await checkLockFree(run);
  if (!options.skipPush) await s.step("Build and push app image", () => buildAndPush(run, { noCache: options.noCache }));
  const hosts = proxyHosts(run);
  if (hosts.length === 0) throw new RolloutError("no selected role runs the proxy: a canary needs one", { hint: "Canaries split web traffic; roles with `proxy: false` are promoted with the canary." });
  await withLock(run, async () => {
    const previous = await currentRollout(run);
    await s.step(`Pull ${run.config.absoluteImage}`, () => pullOnHosts(run, hosts));
    await run.hook("pre-deploy");
    await s.step("Ensure the proxy is running", () => bootProxy(run));
    await s.step(`Boot canary ${run.config.version}`, () =>
      s.onHosts(hosts, `canary ${run.config.version} healthy`, async (host) => {
        for (const role of proxyRoles(run, host)) await bootCanary(run, host, role);
      }),
    );
    await s.step(`Send ${options.percent}% to the canary`, () => setSplit(run, options.percent, options.list ?? []));
    await record(run, { version: run.config.version, percent: options.percent, list: options.list ?? [] });
    // A canary it replaces is no longer routed to (rollout deploy drained it): stop it.
    if (previous && previous.version !== run.config.version) await stopCanaryContainers(run, previous.version);
  });
  s.emit({ type: "summary", message: `Canary ${run.config.version} of ${run.config.service} gets ${options.percent}% of requests (by their kamal-rollout cookie)`, ms: run.elapsedSeconds() * 1000, ok: true });
}

async function requireRollout(run: Run): Promise<RolloutRecord> {
  const found = await currentRollout(run);
  if (!found) throw new RolloutError("no canary is running", { hint: "Start one with `sextant deploy --canary PERCENT`." });
  return found;
}

/** `rollout set N [--list a,b]`. */
export async function setRollout(run: Run, percent: number, list: string[] = []): Promise<void> {
  checkPercent(percent);
  await withLock(run, async () => {
    const current = await requireRollout(run);
    await run.session.step(`Send ${percent}% to the canary`, () => setSplit(run, percent, list));
    await record(run, { ...current, percent, list });
  });
  run.session.emit({ type: "summary", message: `Canary gets ${percent}% of requests`, ms: run.elapsedSeconds() * 1000, ok: true });
}

async function stopSplit(run: Run): Promise<void> {
  await run.session.onHosts(proxyHosts(run), "canary split off", async (host) => {
    for (const role of proxyRoles(run, host)) {
      await run.audit(host, "Stopped the canary split", { role: role.name });
      await run.session.tryExec(host, render(appCommands(run.config, role, host).rolloutStop()));
    }
  });
}

async function stopCanaryContainers(run: Run, version: string): Promise<void> {
  await run.session.onHosts(proxyHosts(run), `canary ${version} stopped`, async (host) => {
    for (const role of proxyRoles(run, host)) {
      const app = appCommands(run.config, role, host);
      await run.session.tryExec(host, render(app.stop({ version })));
      await run.session.tryExec(host, render(app.stopReplaced(version)));
    }
  });
}

/** `rollout stop`: the split off, the canary's containers stopped; the main version serves all. */
export async function stopRollout(run: Run): Promise<void> {
  await withLock(run, async () => {
    const current = await requireRollout(run);
    await run.session.step("Stop the canary split", () => stopSplit(run));
    await run.session.step(`Stop canary ${current.version}`, () => stopCanaryContainers(run, current.version));
    await record(run, undefined);
  });
  run.session.emit({ type: "summary", message: "Canary stopped: the main version serves every request", ms: run.elapsedSeconds() * 1000, ok: true });
}

/**
 * `rollout promote` (run with the canary's version as the app version): the canary version becomes
 * the main version with a normal app boot — fresh containers switched in with zero downtime,
 * non-proxy roles too, tagged latest — after the split is turned off; the canary's own containers,
 * which that boot renames out of its way, are stopped last.
 */
export async function promoteRollout(run: Run): Promise<void> {
  const s = run.session;
  const version = run.config.version;
  await withLock(run, async () => {
    const current = await requireRollout(run);
    if (current.version !== version) throw new RolloutError(`the canary is ${current.version}, not ${version}`, { hint: "Run `sextant rollout promote` without --version." });
    await s.step(`Pull ${run.config.absoluteImage}`, () => pullOnHosts(run));
    await s.step("Stop the canary split", () => stopSplit(run));
    await s.step(`Boot ${run.config.service} ${version}`, () => bootApp(run));
    await s.step(`Retire the canary containers of ${version}`, () =>
      s.onHosts(proxyHosts(run), "canary retired", async (host) => {
        for (const role of proxyRoles(run, host)) await s.tryExec(host, render(appCommands(run.config, role, host).stopReplaced(version)));
      }),
    );
    await record(run, undefined);
  });
  s.emit({ type: "summary", message: `Promoted ${version}: it is the main version on every host`, ms: run.elapsedSeconds() * 1000, ok: true });
}

/** For `app details`: the canary line, or nothing. */
export function describeRollout(record: RolloutRecord | undefined): string {
  if (!record) return "";
  return `Canary: ${record.version} gets ${record.percent}% of requests${record.list.length ? ` and cookies ${record.list.join(", ")}` : ""} (kamal-rollout cookie)`;
}
