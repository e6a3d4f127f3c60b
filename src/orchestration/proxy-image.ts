/**
 * Puts sextant's own proxy image on servers that lack it: the archive made from this executable
 * (src/proxy-image) is streamed over SSH into `docker load`. No registry is involved. A server
 * whose image carries the same binary digest is left alone.
 */
import { createReadStream } from "node:fs";
import { SextantError } from "../errors.ts";
import { BINARY_DIGEST_LABEL, binaryDigest, proxyImageArchive } from "../proxy-image/build.ts";
import { sharedLibraries } from "../proxy-image/libraries.ts";
import { executablePath, isCompiledBinary } from "../runtime.ts";
import { SEXTANT_VERSION } from "../version.ts";
import type { Session } from "./session.ts";

export const SEXTANT_PROXY_REPOSITORY = "sextant/proxy";
export const SEXTANT_PROXY_TAG = `v${SEXTANT_VERSION}`;
export const SEXTANT_PROXY_IMAGE = `${SEXTANT_PROXY_REPOSITORY}:${SEXTANT_PROXY_TAG}`;

const DOCKER_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64" };
const SERVER_ARCH: Record<string, string> = { x86_64: "amd64", amd64: "amd64", aarch64: "arm64", arm64: "arm64" };

/** The Linux sextant executable to put in the image. */
export function proxyBinary(env: Record<string, string | undefined> = process.env): string {
  if (env.SEXTANT_PROXY_BINARY) return env.SEXTANT_PROXY_BINARY;
  if (isCompiledBinary() && process.platform === "linux") return executablePath();
  throw new SextantError("cannot make the proxy image: this sextant is not a Linux executable", {
    hint:
      "Run the compiled Linux binary (scripts/build), set SEXTANT_PROXY_BINARY to one, " +
      "or set proxy.run.image (or `proxy boot_config set --image`) to use a registry image.",
  });
}

/** Make sure every host has sextant's proxy image for this binary; loads it where missing. */
export async function ensureProxyImage(session: Session, hosts: readonly string[]): Promise<void> {
  if (hosts.length === 0) return;
  const binary = proxyBinary();
  const localArch = DOCKER_ARCH[process.arch] ?? process.arch;
  // One archive for all hosts: memoise the promise, so hosts loading at once share one build.
  let archive: ReturnType<typeof proxyImageArchive> | undefined;
  const getArchive = () =>
    (archive ??= proxyImageArchive({
      binary,
      libraries: sharedLibraries(binary),
      repository: SEXTANT_PROXY_REPOSITORY,
      sextantVersion: SEXTANT_VERSION,
      arch: localArch,
    }));
  // The digest is cheap (cached); the archive is only made when some host lacks the image.
  const wanted = await binaryDigest(binary);

  await session.onHosts(hosts, "proxy image", async (host) => {
    const probe = await session.tryExec(
      host,
      `docker image inspect ${SEXTANT_PROXY_IMAGE} --format '{{index .Config.Labels "${BINARY_DIGEST_LABEL}"}}' 2>/dev/null; docker info --format '{{.Architecture}}'`,
    );
    const lines = probe.stdout.trim().split("\n");
    const serverArch = SERVER_ARCH[lines.at(-1)?.trim() ?? ""] ?? lines.at(-1);
    const present = lines.length > 1 ? lines[0]!.trim() : "";
    if (present === wanted) return;
    if (serverArch !== localArch) {
      throw new SextantError(`${host} is ${serverArch}, but this sextant is ${localArch}: cannot load its proxy image there`, {
        hint: `Deploy from a ${serverArch} Linux machine, set SEXTANT_PROXY_BINARY to a ${serverArch} sextant, or set proxy.run.image.`,
      });
    }
    session.emit({ type: "info", message: `Loading the proxy image ${SEXTANT_PROXY_IMAGE} on ${host}...` });
    await session.exec(host, "docker load --quiet", { stdin: createReadStream((await getArchive()).path) });
  });
}
