/**
 * Puts sextant's own proxy image on the servers that lack it, whatever machine runs the CLI.
 * Per host, by the server's architecture:
 *   1. the image is there already → nothing;
 *   2. this sextant (or SEXTANT_PROXY_BINARY) is a Linux executable of that architecture → an
 *      archive made from it (src/proxy-image), cached per binary;
 *   3. otherwise the release's archive for that architecture, downloaded once into the user's cache
 *      and checked against the release manifest's sha256;
 *   4. otherwise a clear error naming the options.
 * Several hosts of one architecture: the archive goes from this machine to ONE of them; that one
 * serves it to the others over the servers' network (a short-lived container of the image itself)
 * and each verifies the sha256 before loading. The deployer's uplink carries the image once. A host
 * that cannot fetch from its peer (firewall, no curl/wget) gets it from this machine instead.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { fetchFromPeer } from "../commands/peer-archive.ts";
import * as cmd from "../commands/proxy-image.ts";
import { SextantError } from "../errors.ts";
import { formatBytes } from "../output/bytes.ts";
import { BINARY_DIGEST_LABEL, binaryDigest, cacheDirectory, proxyImageArchive, sha256OfFile } from "../proxy-image/build.ts";
import { elfArch } from "../proxy-image/elf.ts";
import { sharedLibraries } from "../proxy-image/libraries.ts";
import { releaseBaseUrl } from "../proxy-image/release.ts";
import { ReleaseFetchError, releaseProxyImage } from "../proxy-image/release-fetch.ts";
import { executablePath, isCompiledBinary } from "../runtime.ts";
import { SEXTANT_VERSION } from "../version.ts";
import type { Session } from "./session.ts";

export const SEXTANT_PROXY_REPOSITORY = "sextant/proxy";
export const SEXTANT_PROXY_TAG = `v${SEXTANT_VERSION}`;
export const SEXTANT_PROXY_IMAGE = `${SEXTANT_PROXY_REPOSITORY}:${SEXTANT_PROXY_TAG}`;

const DOCKER_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };

/** An archive ready to send, and what it is for messages. */
interface Archive {
  path: string;
  sha256: string;
  size: number;
  from: string;
}

/**
 * The Linux executable this machine can make the image from, if any: SEXTANT_PROXY_BINARY, or this
 * very sextant when it is compiled for Linux. Only for this machine's architecture: its shared
 * libraries are read with this machine's `ldd`.
 */
export function localProxyBinary(
  env: Record<string, string | undefined> = process.env,
  self: { platform: string; arch: string; compiled: boolean; executable: string } = {
    platform: process.platform,
    arch: process.arch,
    compiled: isCompiledBinary(),
    executable: executablePath(),
  },
): { path: string; arch: string } | undefined {
  if (self.platform !== "linux") return undefined;
  const path = env.SEXTANT_PROXY_BINARY || (self.compiled ? self.executable : undefined);
  if (!path) return undefined;
  const arch = elfArch(path);
  if (!arch || arch !== DOCKER_ARCH[self.arch]) return undefined;
  return { path, arch };
}

/** What this machine is, for messages: "linux-x64 executable", "bun from source on darwin-arm64"... */
function describeSelf(): string {
  const platform = `${process.platform}-${process.arch}`;
  return isCompiledBinary() ? `a ${platform} executable` : `run from source on ${platform}`;
}

/** Make sure every host has sextant's proxy image; loads it where missing. */
export async function ensureProxyImage(session: Session, hosts: readonly string[]): Promise<void> {
  if (hosts.length === 0) return;
  const local = localProxyBinary();
  const localDigest = local ? await binaryDigest(local.path) : undefined;

  // Which hosts need the image, by architecture.
  const missing = new Map<string, string[]>();
  await session.onHosts(hosts, "proxy image checked", async (host) => {
    const probe = cmd.parseProbe(await session.capture(host, cmd.probeProxyImage(SEXTANT_PROXY_IMAGE, BINARY_DIGEST_LABEL)));
    // With a local binary for this architecture, the image must carry exactly it (a rebuilt binary of
    // the same version replaces it); otherwise any image of this version is the released one.
    const upToDate = local && probe.arch === local.arch ? probe.digest === localDigest : probe.digest !== undefined;
    if (upToDate) return;
    missing.set(probe.arch, [...(missing.get(probe.arch) ?? []), host]);
  });

  for (const [arch, archHosts] of missing) {
    const archive = await archiveFor(session, arch, archHosts, local);
    await distribute(session, archHosts, archive);
  }
}

async function archiveFor(session: Session, arch: string, hosts: string[], local: { path: string; arch: string } | undefined): Promise<Archive> {
  if (local && local.arch === arch) {
    const made = await proxyImageArchive({
      binary: local.path,
      libraries: sharedLibraries(local.path),
      repository: SEXTANT_PROXY_REPOSITORY,
      sextantVersion: SEXTANT_VERSION,
      arch,
    });
    return { path: made.path, sha256: await sha256OfFile(made.path), size: statSync(made.path).size, from: "made from this executable" };
  }
  const base = releaseBaseUrl();
  try {
    const release = await releaseProxyImage(arch, {
      base,
      cacheDir: cacheDirectory(),
      onDownload: (url, bytes) => session.emit({ type: "info", message: `Downloading the proxy image for ${arch} (${formatBytes(bytes)}) from ${url}...` }),
    });
    return { path: release.path, sha256: release.sha256, size: release.size, from: `release archive ${release.url}` };
  } catch (error) {
    if (!(error instanceof ReleaseFetchError)) throw error;
    const which = `${hosts.join(", ")} ${hosts.length > 1 ? "are" : "is"} linux/${arch}`;
    if (error.tampered) {
      throw new SextantError(`refusing the proxy image for ${arch}: ${error.message}; nothing was loaded`, {
        hint: "The download was damaged or altered on the way. Run again; if it persists, check SEXTANT_RELEASE_URL and the release files.",
      });
    }
    throw new SextantError(`cannot get the proxy image for ${which}: this sextant is ${describeSelf()}, and ${error.message}`, {
      hint:
        `Options: let sextant reach the release (or set SEXTANT_RELEASE_URL to a URL or directory with the files of \`scripts/release\`), ` +
        `run a Linux ${arch} sextant or set SEXTANT_PROXY_BINARY to one on a Linux ${arch} machine, ` +
        "or use a registry image with proxy.run.image (or `proxy boot_config set --image`).",
    });
  }
}

const token = () => randomBytes(16).toString("hex");
const remoteFile = (id: string) => `/tmp/sextant-proxy-image-${id}`;

/** Send the archive from this machine into `docker load` on `host`. */
async function upload(session: Session, host: string, archive: Archive, options: { keepAs?: string } = {}): Promise<void> {
  session.emit({ type: "info", message: `Loading the proxy image ${SEXTANT_PROXY_IMAGE} on ${host} (${formatBytes(archive.size)}, ${archive.from})...` });
  await session.exec(host, cmd.receiveProxyImage(options.keepAs ?? remoteFile(token()), archive.sha256, { keep: !!options.keepAs }), {
    stdin: createReadStream(archive.path),
  });
}

async function distribute(session: Session, hosts: string[], archive: Archive): Promise<void> {
  const [first, ...rest] = hosts as [string, ...string[]];
  // SEXTANT_PROXY_IMAGE_PEERS=0: every host from this machine (servers that may not reach each
  // other; and the naive baseline of scripts/bench-proxy-image).
  if (process.env.SEXTANT_PROXY_IMAGE_PEERS === "0") {
    await session.onHosts(hosts, "proxy image loaded", (host) => upload(session, host, archive));
    return;
  }
  if (rest.length === 0) {
    await session.onHosts([first], "proxy image loaded", (host) => upload(session, host, archive));
    return;
  }
  const id = token();
  const path = remoteFile(id);
  const name = `sextant-proxy-image-share-${id.slice(0, 12)}`;
  await session.onHosts([first], "proxy image loaded", (host) => upload(session, host, archive, { keepAs: path }));
  try {
    let port: number | undefined;
    try {
      const output = await session.capture(first, cmd.startShare({ image: SEXTANT_PROXY_IMAGE, name, path, token: id, downloads: rest.length, timeoutSeconds: 600 }));
      port = cmd.parseSharePort(output);
    } catch (error) {
      session.emit({ type: "warn", message: `${first} cannot pass the proxy image on (${firstLine(error)}): sending it from here to each host` });
    }
    session.emit({ type: "info", message: `Passing the proxy image from ${first} to ${rest.join(", ")} over the servers' network...` });
    await session.onHosts(rest, "proxy image loaded", async (host) => {
      if (port !== undefined) {
        const url = `http://${cmd.urlHost(first)}:${port}/${id}`;
        const result = await session.tryExec(host, fetchFromPeer(url, archive.sha256, remoteFile(token()), "the proxy image"));
        if (result.code === 0) return;
        session.emit({ type: "warn", message: `${host} could not fetch the proxy image from ${first} (${result.stderr.trim().split("\n")[0]}): sending it from here` });
      }
      await upload(session, host, archive);
    });
  } finally {
    await session.tryExec(first, cmd.stopShare(name, path));
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
