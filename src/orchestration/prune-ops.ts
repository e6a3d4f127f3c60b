/**
 * `sextant prune all|images|containers` (Kamal's `kamal prune`): on every selected
 * host, under the deploy lock. Containers keep the newest `retain_containers` stopped ones (or
 * --retain); images keep the ones containers use and the latest tag.
 */
import { UsageError } from "../errors.ts";
import { withLock } from "./lock.ts";
import { pruneContainers, pruneImages } from "./prune.ts";
import type { Run } from "./run.ts";

export type PruneWhat = "all" | "images" | "containers";

export async function pruneCommand(run: Run, what: PruneWhat, options: { retain?: number } = {}): Promise<void> {
  const retain = options.retain ?? run.config.retainContainers;
  if (!Number.isInteger(retain) || retain < 1) throw new UsageError("retain must be at least 1", { hint: "e.g. sextant prune containers --retain 3" });
  await withLock(run, async () => {
    if (what !== "images") await run.session.step(`Prune stopped containers (keeping the newest ${retain})`, () => pruneContainers(run, run.selection.hosts, retain));
    if (what !== "containers") await run.session.step("Prune unused images", () => pruneImages(run));
  });
}
