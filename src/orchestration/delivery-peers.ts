/**
 * Peer hand-over for registry-less delivery: when several servers lack the same sizeable layers,
 * one (the seed) receives its archive from this machine and keeps the file; a short-lived container
 * of sextant's proxy image (it carries the `proxy-image-share` file server) serves it to the others,
 * which fetch it over the servers' own network, check its sha256 and load it. The deployer's uplink
 * then carries those layers once instead of once per server. Any peer that cannot fetch gets its
 * archive from this machine, as without sharing. SEXTANT_DELIVERY_PEERS=0 switches it off.
 */
import { randomBytes } from "node:crypto";
import { fetchFromPeer } from "../commands/peer-archive.ts";
import { parseSharePort, startShare, stopShare, urlHost } from "../commands/proxy-image.ts";
import type { HostPlan } from "./delivery.ts";
import { needsOwnImage } from "./proxy-boot.ts";
import { ensureProxyImage, SEXTANT_PROXY_IMAGE } from "./proxy-image.ts";
import type { Run } from "./run.ts";

/** Below this a direct send is quicker than starting a share container and a download. */
const PEER_MIN_BYTES = 4 * 1024 * 1024;

export interface Sharing {
  seed: HostPlan;
  peers: HostPlan[];
  /** The archive's file on the seed, and the share container's name and URL token. */
  path: string;
  name: string;
  token: string;
  port?: number;
  sha256?: string;
}

/**
 * Pure choice: the seed is a server that can serve (has the proxy image) and lacks the most bytes;
 * its peers are the servers whose missing layers are all in the seed's archive (a layer they
 * already have is skipped by their `docker load`). Only archives of at least `minBytes` count.
 */
export function planSharing(plans: readonly HostPlan[], minBytes = PEER_MIN_BYTES): { seed: HostPlan; peers: HostPlan[] } | undefined {
  const big = plans.filter((p) => !p.containerd && p.plan.bytes >= minBytes);
  const seeds = big.filter((p) => p.canServe).sort((a, b) => b.plan.bytes - a.plan.bytes);
  for (const seed of seeds) {
    const peers = big.filter((p) => p !== seed && p.missing.every((i) => seed.missing.includes(i)));
    if (peers.length > 0) return { seed, peers };
  }
  return undefined;
}

export async function choosePeers(run: Run, plans: HostPlan[]): Promise<Sharing | undefined> {
  if (process.env.SEXTANT_DELIVERY_PEERS === "0") return undefined;
  let chosen = planSharing(plans);
  const big = plans.filter((p) => !p.containerd && p.plan.bytes >= PEER_MIN_BYTES);
  if (!chosen && big.length >= 2 && !big.some((p) => p.canServe)) {
    // No server has the proxy image yet (a first setup): the proxy hosts among them get it now, as
    // booting the proxy would right after; then one of them can pass the layers on.
    const proxyHosts: string[] = [];
    for (const p of big) if (run.selection.proxyHosts.includes(p.host) && (await needsOwnImage(run, p.host))) proxyHosts.push(p.host);
    if (proxyHosts.length > 0) {
      try {
        await ensureProxyImage(run.session, proxyHosts);
        for (const p of plans) if (proxyHosts.includes(p.host)) p.canServe = true;
        chosen = planSharing(plans);
      } catch (error) {
        // The proxy boot that follows reports this properly; here it only means no hand-over.
        run.session.emit({ type: "warn", message: `No server can pass the layers on (${(error instanceof Error ? error.message : String(error)).split("\n")[0]}): sending them from here to each host` });
      }
    }
  }
  if (!chosen) return undefined;
  const token = randomBytes(16).toString("hex");
  return { ...chosen, token, path: `/tmp/sextant-layers-${token}`, name: `sextant-layers-share-${token.slice(0, 12)}` };
}

/** Start serving the seed's archive; undefined (with a warning) when it cannot. */
export async function startSharing(run: Run, sharing: Sharing, sha256: string): Promise<Sharing | undefined> {
  const seed = sharing.seed.host;
  try {
    const output = await run.session.capture(seed, startShare({ image: SEXTANT_PROXY_IMAGE, name: sharing.name, path: sharing.path, token: sharing.token, downloads: sharing.peers.length, timeoutSeconds: 600 }));
    const port = parseSharePort(output);
    if (port === undefined) throw new Error(`no port in ${JSON.stringify(output)}`);
    run.session.emit({ type: "info", message: `Passing the layers from ${seed} to ${sharing.peers.map((p) => p.host).join(", ")} over the servers' network...` });
    return { ...sharing, port, sha256 };
  } catch (error) {
    run.session.emit({ type: "warn", message: `${seed} cannot pass the layers on (${(error instanceof Error ? error.message : String(error)).split("\n")[0]}): sending them from here to each host` });
    return undefined;
  }
}

/** A peer fetches and loads the seed's archive; false (with a warning) when it could not. */
export async function fetchFromSeed(run: Run, host: string, served: Sharing): Promise<boolean> {
  const url = `http://${urlHost(served.seed.host)}:${served.port}/${served.token}`;
  const result = await run.session.tryExec(host, fetchFromPeer(url, served.sha256!, `/tmp/sextant-layers-${randomBytes(8).toString("hex")}`, "the image layers"));
  if (result.code === 0) return true;
  run.session.emit({ type: "warn", message: `${host} could not fetch the layers from ${served.seed.host} (${result.stderr.trim().split("\n")[0]}): sending them from here` });
  return false;
}

export async function stopSharing(run: Run, sharing: Sharing): Promise<void> {
  await run.session.tryExec(sharing.seed.host, stopShare(sharing.name, sharing.path));
}
