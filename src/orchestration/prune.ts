/** Prune at the end of deploy/setup (Kamal's `prune all`): old stopped containers, then unused images. */
import * as prune from "../commands/prune.ts";
import { render } from "../commands/shell.ts";
import type { Run } from "./run.ts";

/** Remove stopped containers of the app but the newest `retain` (default: retain_containers). */
export async function pruneContainers(run: Run, hosts: readonly string[] = run.selection.hosts, retain: number = run.config.retainContainers): Promise<void> {
  await run.session.onHosts(hosts, "pruned containers", async (host) => {
    await run.audit(host, "Pruned containers");
    await run.session.exec(host, render(prune.containers(run.config, retain)));
  });
}

export async function pruneImages(run: Run, hosts: readonly string[] = run.selection.hosts): Promise<void> {
  await run.session.onHosts(hosts, "pruned images", async (host) => {
    await run.audit(host, "Pruned images");
    await run.session.exec(host, render(prune.danglingImages(run.config)));
    await run.session.exec(host, render(prune.taggedImages(run.config)));
  });
}

export async function pruneAll(run: Run, hosts?: readonly string[]): Promise<void> {
  await pruneContainers(run, hosts);
  await pruneImages(run, hosts);
}
