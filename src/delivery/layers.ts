/**
 * Which image layers a server already has. Docker's classic image store keys each layer by its
 * chain ID: the first layer's is its diff ID, every later one is sha256("<parent chain ID> <diff ID>").
 * Two images share a layer on disk only when the whole chain below it is the same, so comparing
 * chain IDs (not diff IDs) is what tells whether `docker load` will skip a layer.
 */
import { createHash } from "node:crypto";

export function chainIds(diffIds: readonly string[]): string[] {
  const chains: string[] = [];
  for (const diffId of diffIds) {
    const parent = chains.at(-1);
    chains.push(parent === undefined ? diffId : `sha256:${createHash("sha256").update(`${parent} ${diffId}`).digest("hex")}`);
  }
  return chains;
}

/**
 * Chain IDs of every layer of every image listed in `inspectOutput`: one JSON array of diff IDs
 * per line (`docker image inspect --format '{{json .RootFS.Layers}}'`). Lines that are not such
 * an array (an image removed between listing and inspecting) are skipped.
 */
export function hostChainIds(inspectOutput: string): Set<string> {
  const present = new Set<string>();
  for (const line of inspectOutput.split("\n")) {
    const text = line.trim();
    if (!text.startsWith("[")) continue;
    let diffIds: unknown;
    try {
      diffIds = JSON.parse(text);
    } catch {
      continue;
    }
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === "string")) continue;
    for (const id of chainIds(diffIds)) present.add(id);
  }
  return present;
}

/** Indexes of the image's layers whose chain ID the server lacks (the ones to send). */
export function missingLayers(diffIds: readonly string[], present: ReadonlySet<string>): number[] {
  return chainIds(diffIds).flatMap((chain, i) => (present.has(chain) ? [] : [i]));
}

/** The containerd image store keeps layers as snapshots, not by chain ID: layers cannot be skipped there. */
export function usesContainerdStore(driverStatusJson: string): boolean {
  return /io\.containerd\.snapshotter/.test(driverStatusJson);
}
