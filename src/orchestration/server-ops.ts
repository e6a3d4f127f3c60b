/**
 * `sextant server exec` and `server bootstrap` (Kamal's `kamal server`), the top-level `details`
 * (proxy and app containers) and `audit` (the audit log's last lines on each server).
 */

import { reveal } from "../commands/audit.ts";
import type { ListingOptions } from "../commands/json-format.ts";
import { render } from "../commands/shell.ts";
import { UsageError } from "../errors.ts";
import { accessoryDetails, accessoryHosts } from "./accessory.ts";
import { appDetails, type HostOutput } from "./app-ops.ts";
import { runInteractive } from "./interactive.ts";
import { withLock } from "./lock.ts";
import { proxyDetails } from "./proxy-ops.ts";
import type { Run } from "./run.ts";
import { bootstrapServers } from "./server.ts";

/** Run a shell command on every selected host (audited), or interactively on the primary host. */
export async function serverExec(run: Run, command: string, options: { interactive?: boolean } = {}): Promise<HostOutput[] | number> {
  if (options.interactive) {
    const host = run.selection.primaryHost;
    if (!host) throw new UsageError("No host selected to run the command on", { hint: "Check --hosts/--roles." });
    run.session.emit({ type: "info", message: `Running '${command}' on ${host} interactively...` });
    return runInteractive(run, host, [command]);
  }
  const hosts = run.selection.hosts;
  run.session.emit({ type: "info", message: `Running '${command}' on ${hosts.join(", ")}...` });
  const out: HostOutput[] = [];
  const failed: string[] = [];
  await run.session.onHosts(hosts, "command run", async (host) => {
    await run.audit(host, `Executed cmd '${command}' on ${host}`);
    const result = await run.session.tryExec(host, command);
    if (result.code !== 0) failed.push(host);
    out.push({ host, text: `${result.stdout}${result.stderr}`, ok: result.code === 0 });
  });
  out.sort((a, b) => hosts.indexOf(a.host) - hosts.indexOf(b.host));
  return out;
}

/** `server bootstrap`: Docker on every host (installed where missing and possible), then the docker-setup hook. */
export async function serverBootstrap(run: Run): Promise<void> {
  await withLock(run, () => run.session.step("Ensure Docker is installed", () => bootstrapServers(run, run.selection.hosts, { alwaysRunHook: true })));
}

/** `details`: the proxy, the app's containers and every accessory's (Kamal: proxy, app, accessory details all). */
export async function details(run: Run, options: ListingOptions = {}): Promise<{ proxy: HostOutput[]; app: HostOutput[]; accessories: { name: string; outputs: HostOutput[] }[] }> {
  const proxy = run.selection.proxyHosts.length > 0 ? await proxyDetails(run, options) : [];
  const app = run.selection.appHosts.length > 0 ? await appDetails(run, options) : [];
  const accessories: { name: string; outputs: HostOutput[] }[] = [];
  for (const accessory of run.config.accessories) {
    if (accessoryHosts(run, accessory).length === 0) continue;
    accessories.push({ name: accessory.name, outputs: await accessoryDetails(run, accessory, options) });
  }
  return { proxy, app, accessories };
}

/** `audit`: the last lines of the audit log on every selected host, in the selection's order. */
export function auditLogs(run: Run): Promise<HostOutput[]> {
  const { session } = run;
  return session.onHosts(run.selection.hosts, "audit log read", async (host) => ({ host, text: (await session.tryExec(host, render(reveal(run.config)))).stdout }));
}
