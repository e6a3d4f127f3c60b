/**
 * Shell commands that move sextant's proxy image onto servers (pure: text in, text out). The
 * archive travels as bytes into a file on the server, is checked against its sha256 there, and
 * only then handed to `docker load`; between servers a short-lived container of the image serves
 * that file so the others fetch it over the servers' own network instead of from the deployer
 * (that fetch is peer-archive.ts, shared with registry-less delivery).
 */
import { loadIfIntact, removeAfter, removeIfFailed } from "./peer-archive.ts";
import { shellEscape } from "./shell.ts";

/** Port the share server listens on inside its container (published on a port Docker picks). */
const SHARE_CONTAINER_PORT = 8080;

/** `image=<digest label, "<no value>" or ->` and `arch=<docker arch>` lines. */
export function probeProxyImage(image: string, digestLabel: string): string {
  const format = `{{index .Config.Labels ${JSON.stringify(digestLabel)}}}`;
  const img = shellEscape(image);
  // Two inspects: with --format, a missing image still prints an empty line before failing.
  return (
    `if docker image inspect ${img} > /dev/null 2>&1; then echo "image=$(docker image inspect ${img} --format ${shellEscape(format)})"; ` +
    `else echo image=-; fi; echo "arch=$(docker info --format '{{.Architecture}}')"`
  );
}

export interface ProbeResult {
  /** The image's binary-digest label; "" when the image is there without one; undefined when absent. */
  digest: string | undefined;
  arch: string;
}

const DOCKER_ARCH: Record<string, string> = { x86_64: "amd64", amd64: "amd64", aarch64: "arm64", arm64: "arm64" };

export function parseProbe(output: string): ProbeResult {
  const value = (key: string) =>
    output
      .split("\n")
      .find((l) => l.startsWith(`${key}=`))
      ?.slice(key.length + 1)
      .trim();
  const image = value("image");
  const rawArch = value("arch") ?? "";
  return {
    digest: image === undefined || image === "-" ? undefined : image === "<no value>" ? "" : image,
    arch: DOCKER_ARCH[rawArch] ?? rawArch,
  };
}

/**
 * Read the archive from stdin into `path`, verify it, load it. With `keep` the file stays for
 * sharing (removed by `stopShare`); otherwise it is removed whatever happened.
 */
export function receiveProxyImage(path: string, sha256: string, options: { keep?: boolean } = {}): string {
  const load = `cat > ${shellEscape(path)} && ${loadIfIntact(path, sha256, "the proxy image archive")}`;
  return options.keep ? removeIfFailed(load, path) : removeAfter(load, path);
}

/**
 * Serve the received archive to `downloads` peers from a container of the image itself (the
 * sextant binary is in it; servers need no web server), on a port Docker picks. Prints the port.
 */
export function startShare(options: { image: string; name: string; path: string; token: string; downloads: number; timeoutSeconds: number }): string {
  const p = shellEscape(options.path);
  return (
    // The container runs as the proxy's unprivileged user: the (public) archive must be readable.
    `chmod 644 ${p} && docker run --detach --rm --name ${shellEscape(options.name)} --publish ${SHARE_CONTAINER_PORT} ` +
    `--volume ${p}:/share/image:ro ${shellEscape(options.image)} sextant proxy-image-share /share/image ` +
    `--token ${shellEscape(options.token)} --downloads ${options.downloads} --timeout ${options.timeoutSeconds} > /dev/null && ` +
    // `docker run --detach` returns before the server listens: wait (up to 10 s) for its first line.
    `for i in $(seq 1 100); do docker logs ${shellEscape(options.name)} 2>&1 | grep -q serving && break; sleep 0.1; done && ` +
    `docker port ${shellEscape(options.name)} ${SHARE_CONTAINER_PORT}/tcp`
  );
}

/** The published host port from `docker port` output ("0.0.0.0:49153\n[::]:49153"). */
export function parseSharePort(output: string): number | undefined {
  const match = output
    .trim()
    .split("\n")[0]
    ?.match(/:(\d+)\s*$/);
  return match ? Number(match[1]) : undefined;
}

export function stopShare(name: string, path: string): string {
  return `docker rm --force ${shellEscape(name)} > /dev/null 2>&1; rm -f ${shellEscape(path)}`;
}

/** A URL host part: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
