/**
 * Registry-less delivery (`builder.delivery: ssh`): the image built into the local engine is saved
 * once to a local file; each server is asked which layers it already has, and gets a `docker load`
 * archive holding only the others, streamed over its SSH connection. The archive names no tag, so
 * a transfer cut half-way leaves at most unreferenced layers behind (the next deploy sends them
 * again); the image gets its name:version tag only once it is whole and has the expected ID.
 *
 * Hosts are served in parallel from the one local file: the deployer's uplink carries each
 * missing layer once per host that lacks it (see scripts/bench-delivery for what that costs).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { validateImage } from "../commands/builder.ts";
import { listLayers, load, saveImage, tagLoaded } from "../commands/delivery.ts";
import { render } from "../commands/shell.ts";
import { ArchiveFile, describeSave, indexTar, trimmedChunks, trimPlan, type SavedImage, type TrimPlan } from "../delivery/archive.ts";
import { hostChainIds, missingLayers, usesContainerdStore } from "../delivery/layers.ts";
import { SextantError } from "../errors.ts";
import { diskFullError } from "./disk-full.ts";
import { local } from "./local-docker.ts";
import type { Run } from "./run.ts";
import { connectionLost } from "./session.ts";

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Save the image locally and send each host what it lacks. */
export async function deliverToHosts(run: Run, hosts: readonly string[] = run.selection.appHosts): Promise<void> {
  const image = `${run.config.repository}:${run.config.version}`;
  const dir = mkdtempSync(join(tmpdir(), "sextant-delivery-"));
  try {
    const path = join(dir, "image.tar");
    const saved = await local(run, saveImage(image, path), { allowFailure: true });
    if (saved.code !== 0) {
      throw new SextantError(`cannot save ${image} from the local Docker: ${(saved.stderr || saved.stdout).trim().split("\n").at(-1)}`, {
        hint: "builder.delivery: ssh sends the image built into the local Docker engine; build it first (sextant build push) or check DOCKER_HOST.",
      });
    }
    const file = new ArchiveFile(path);
    try {
      const described = describeSave(indexTar(file.read), file.read);
      await run.session.onHosts(hosts, `received ${image}`, (host) => deliverToHost(run, host, file, described, statSync(path).size));
    } finally {
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function deliverToHost(run: Run, host: string, file: ArchiveFile, image: SavedImage, fileSize: number): Promise<void> {
  const s = run.session;
  const name = `${run.config.repository}:${run.config.version}`;
  const probe = await s.execIdempotent(host, listLayers(), "listing the server's image layers");
  const [driverStatus = "", ...inspected] = probe.stdout.split("\n");
  const total = image.diffIds.length;
  let plan: TrimPlan;
  let missing: number[];
  if (usesContainerdStore(driverStatus)) {
    // Layers cannot be matched by chain ID there: send the whole saved archive, which loads with its tag.
    s.emit({ type: "warn", message: `${host}: Docker uses the containerd image store, so every layer is sent (only the classic store lets layers be skipped)` });
    missing = image.diffIds.map((_, i) => i);
    plan = { ranges: [{ start: 0, end: fileSize }], manifest: new Uint8Array(), bytes: fileSize, layerBytes: fileSize };
  } else {
    missing = missingLayers(image.diffIds, hostChainIds(inspected.join("\n")));
    plan = trimPlan(image, missing);
  }
  s.emit({ type: "info", message: `${host}: sending ${formatBytes(plan.bytes)} (${missing.length} of ${total} layers missing)` });
  const started = performance.now();
  let sent = 0;
  const stdin = Readable.from(trimmedChunks(file, plan, (n) => (sent += n)));
  try {
    await s.exec(host, `${run.auditCommand(`Loaded image with version ${run.config.version} over SSH`)} && ${render(load())}`, { stdin });
  } catch (error) {
    stdin.destroy();
    if (connectionLost(error)) {
      throw new SextantError(`the transfer of ${name} was cut after ${formatBytes(sent)} of ${formatBytes(plan.bytes)} (the SSH connection was lost)`, {
        hint: "Nothing was tagged and the running version is still serving. Deploy again: the layers still missing are sent then.",
        cause: error,
      });
    }
    throw await diskFullError(run, host, error, `loading ${name}`);
  }
  const ms = performance.now() - started;
  s.emit({ type: "transfer", host, image: name, bytes: sent, layers: missing.length, totalLayers: total, layerBytes: plan.layerBytes, ms });
  // Tag by ID only now that the whole image is there; then the same label check as after a pull.
  await s.execIdempotent(host, `${render(tagLoaded(image.imageId, name))} && { ${render(validateImage(run.config))}; }`, "tagging the image");
}
