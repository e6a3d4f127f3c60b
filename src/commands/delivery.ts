/** Command lines of registry-less delivery (`builder.delivery: ssh`); the orchestration is orchestration/delivery.ts, a peer's fetch of the seed's archive is peer-archive.ts. */
import { removeIfFailed } from "./peer-archive.ts";
import { type Argv, docker, shellEscape } from "./shell.ts";

/** Save the built image from the local engine into a file. */
export function saveImage(image: string, file: string): Argv {
  return docker("save", "--output", shellEscape(file), shellEscape(image));
}

/**
 * One round trip for what the server has: first line whether it has `shareImage` (yes/no), then the engine's DriverStatus (to spot the
 * containerd image store), then one JSON array of diff IDs per image. An image removed between
 * the listing and the inspect only drops its own line.
 */
export function listLayers(shareImage: string): string {
  return [
    hasImage(shareImage),
    "docker info --format '{{json .DriverStatus}}'",
    "{ docker image ls --all --quiet --no-trunc | sort -u | xargs -r docker image inspect --format '{{json .RootFS.Layers}}' 2>/dev/null || true; }",
  ].join(" && ");
}

/** Load an image archive from stdin. */
export function load(): Argv {
  return docker("load");
}

/** Tag the loaded image (by its ID) with the app's name and version. */
export function tagLoaded(imageId: string, image: string): Argv {
  return docker("tag", imageId, image);
}

/**
 * The seed of a peer hand-over: load the archive as it arrives and keep a copy in `path` to serve
 * (`stopShare` removes it). The status is docker load's; a copy that came out short (its own disk
 * full) only fails the peers' sha256 check, and they get theirs from the deployer instead.
 */
export function receiveAndKeep(path: string): string {
  return removeIfFailed(`( umask 022 && tee ${shellEscape(path)} ) | docker load`, path);
}

/** Does the server have this image (e.g. sextant's proxy image, which can serve files to peers)? */
function hasImage(image: string): string {
  return `docker image inspect ${shellEscape(image)} > /dev/null 2>&1 && echo yes || echo no`;
}
