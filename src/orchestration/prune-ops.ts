/**
 * `sextant prune all|images|containers` (Kamal's `kamal prune`, reference §1.9): on every selected
 * host, under the deploy lock. Containers keep the newest `retain_containers` stopped ones (or
 * --retain); images keep the ones containers use and the latest tag.
 */
import * as prune from "../commands/prune.ts";
import { render } from "../commands/shell.ts";
import { UsageError } from "../errors.ts";
import { withLock } from "./lock.ts";
import { pruneImages } from "./prune.ts";
import { preConnect } from "./app-ops.ts";
import type { Run } from "./run.ts";

export type PruneWhat = "all" | "images" | "containers";

export async function pruneContainersRetaining(run: Run, retain: number, hosts: readonly string[] = run.selection.hosts): Promise<void> {
  await run.session.onHosts(hosts, "pruned containers", async (host) => {
    await run.audit(host, "Pruned containers");
    await run.session.exec(host, render(prune.containers(run.config, retain)));
  });
}

export async function pruneCommand(run: Run, what: PruneWhat, options: { retain?: number } = {}): Promise<void> {
  const retain = options.retain ?? run.config.retainContainers;
  if (!Number.isInteger(retain) || retain < 1) throw new UsageError("retain must be at least 1", { hint: "e.g. sextant prune containers --retain 3" });
  await preConnect(run);
  await withLock(run, async () => {
    if (what !== "images") await run.session.step(`Prune stopped containers (keeping the newest ${retain})`, () => pruneContainersRetaining(run, retain));
    if (what !== "containers") await run.session.step("Prune unused images", () => pruneImages(run));
  });
}
