/**
 * Registry-less delivery (`builder.delivery: ssh`): the image built into the local engine is saved
 * once to a local file; each server is asked which layers it already has, and gets a `docker load`
 * archive holding only the others, streamed over its SSH connection. The archive names no tag, so
 * a transfer cut half-way leaves at most unreferenced layers behind (the next deploy sends them
 * again); the image gets its name:version tag only once it is whole and has the expected ID.
 *
 * Several hosts lacking the same sizeable layers: the deployer's uplink is the bottleneck, so one
 * of them (the seed) gets the archive from here and passes it to the others over the servers' own
 * network (delivery-peers.ts); the rest get theirs from here in parallel.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { validateImage } from "../commands/builder.ts";
import { listLayers, load, receiveAndKeep, saveImage, tagLoaded } from "../commands/delivery.ts";
import { render } from "../commands/shell.ts";
import { ArchiveFile, describeSave, indexTar, type SavedImage, type TrimPlan, trimmedChunks, trimPlan } from "../delivery/archive.ts";
import { hostChainIds, missingLayers, usesContainerdStore } from "../delivery/layers.ts";
import { SextantError } from "../errors.ts";
import { formatBytes } from "../output/bytes.ts";
import { choosePeers, fetchFromSeed, type Sharing, startSharing, stopSharing } from "./delivery-peers.ts";
import { diskFullError } from "./disk-full.ts";
import { local } from "./local-docker.ts";
import { SEXTANT_PROXY_IMAGE } from "./proxy-image.ts";
import type { Run } from "./run.ts";
import { connectionLost } from "./session.ts";

/** What one host gets. */
export interface HostPlan {
  host: string;
  missing: number[];
  plan: TrimPlan;
  /** The containerd image store: the whole saved archive, loaded with its tag. */
  containerd: boolean;
  /** The host has sextant's proxy image, which can serve the archive to peers. */
  canServe: boolean;
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
      const plans = new Map<string, HostPlan>();
      await run.session.onHosts(hosts, "layers compared", async (host) => {
        plans.set(host, await planFor(run, host, described, statSync(path).size));
      });
      await send(run, file, described, [...plans.values()]);
    } finally {
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function planFor(run: Run, host: string, image: SavedImage, fileSize: number): Promise<HostPlan> {
  const probe = await run.session.execIdempotent(host, listLayers(SEXTANT_PROXY_IMAGE), "listing the server's image layers");
  const [canServe = "", driverStatus = "", ...inspected] = probe.stdout.split("\n");
  if (usesContainerdStore(driverStatus)) {
    // Layers cannot be matched by chain ID there: send the whole saved archive, which loads with its tag.
    run.session.emit({ type: "warn", message: `${host}: Docker uses the containerd image store, so every layer is sent (only the classic store lets layers be skipped)` });
    const plan = { ranges: [{ start: 0, end: fileSize }], manifest: new Uint8Array(), bytes: fileSize, layerBytes: fileSize };
    return { host, missing: image.diffIds.map((_, i) => i), plan, containerd: true, canServe: false };
  }
  const missing = missingLayers(image.diffIds, hostChainIds(inspected.join("\n")));
  return { host, missing, plan: trimPlan(image, missing), containerd: false, canServe: canServe.trim() === "yes" };
}

async function send(run: Run, file: ArchiveFile, image: SavedImage, plans: HostPlan[]): Promise<void> {
  const s = run.session;
  const name = `${run.config.repository}:${run.config.version}`;
  const total = image.diffIds.length;
  const sharing = await choosePeers(run, plans);
  for (const p of plans) {
    const via = sharing?.peers.some((peer) => peer.host === p.host) ? ` (from ${sharing.seed.host}, over the servers' network)` : "";
    s.emit({ type: "info", message: `${p.host}: ${formatBytes(p.plan.bytes)} to send, ${p.missing.length} of ${total} layers missing${via}` });
  }
  let seedDone: (served: Sharing | undefined) => void = () => {};
  const seedReady = new Promise<Sharing | undefined>((resolve) => (seedDone = resolve));
  if (!sharing) seedDone(undefined);
  try {
    await s.onHosts(
      plans.map((p) => p.host),
      `received ${name}`,
      async (host) => {
        const p = plans.find((x) => x.host === host)!;
        if (sharing && host === sharing.seed.host) {
          try {
            const sha256 = await stream(run, p, file, total, { keepAs: sharing.path });
            seedDone(await startSharing(run, sharing, sha256));
          } catch (error) {
            seedDone(undefined);
            throw error;
          }
        } else if (sharing?.peers.some((peer) => peer.host === host)) {
          const served = await seedReady;
          const started = performance.now();
          if (served && (await fetchFromSeed(run, host, served))) {
            s.emit({ type: "transfer", host, image: name, bytes: p.plan.bytes, layers: p.missing.length, totalLayers: total, layerBytes: p.plan.layerBytes, ms: performance.now() - started, from: served.seed.host });
          } else {
            await stream(run, p, file, total);
          }
        } else {
          await stream(run, p, file, total);
        }
        // Tag by ID only now that the whole image is there; then the same label check as after a pull.
        if (!p.containerd) await s.execIdempotent(host, `${render(tagLoaded(image.imageId, name))} && { ${render(validateImage(run.config))}; }`, "tagging the image");
        else await s.execIdempotent(host, render(validateImage(run.config)), "checking the image");
      },
    );
  } finally {
    if (sharing) await stopSharing(run, sharing);
  }
}

/** Stream the host's archive into `docker load` there (kept in a file with `keepAs`); returns its sha256. */
async function stream(run: Run, p: HostPlan, file: ArchiveFile, total: number, options: { keepAs?: string } = {}): Promise<string> {
  const s = run.session;
  const name = `${run.config.repository}:${run.config.version}`;
  const hash = createHash("sha256");
  let sent = 0;
  let shown = 0;
  const chunks = trimmedChunks(file, p.plan, (n) => {
    sent += n;
    // About twice a second, for a progress bar on a terminal and for --json.
    if (performance.now() - shown >= 500 && sent < p.plan.bytes) {
      shown = performance.now();
      s.emit({ type: "progress", host: p.host, bytes: sent, total: p.plan.bytes });
    }
  });
  const stdin = Readable.from(
    (async function* () {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
  const started = performance.now();
  const audit = run.auditCommand(`Loaded image with version ${run.config.version} over SSH`);
  try {
    await s.exec(p.host, `${audit} && ${options.keepAs ? receiveAndKeep(options.keepAs) : render(load())}`, { stdin });
  } catch (error) {
    stdin.destroy();
    if (connectionLost(error)) {
      throw new SextantError(`the transfer of ${name} was cut after ${formatBytes(sent)} of ${formatBytes(p.plan.bytes)} (the SSH connection was lost)`, {
        hint: "Nothing was tagged and the running version is still serving. Deploy again: the layers still missing are sent then.",
        cause: error,
      });
    }
    throw await diskFullError(run, p.host, error, `loading ${name}`);
  }
  s.emit({ type: "transfer", host: p.host, image: name, bytes: sent, layers: p.missing.length, totalLayers: total, layerBytes: p.plan.layerBytes, ms: performance.now() - started });
  return hash.digest("hex");
}
