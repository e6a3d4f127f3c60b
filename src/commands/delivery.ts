/** Command lines of registry-less delivery (`builder.delivery: ssh`); the orchestration is orchestration/delivery.ts. */
import { docker, type Argv } from "./shell.ts";

/** Save the built image from the local engine into a file. */
export function saveImage(image: string, file: string): Argv {
  return docker("save", "--output", file, image);
}

/**
 * One round trip for what the server has: first line the engine's DriverStatus (to spot the
 * containerd image store), then one JSON array of diff IDs per image. An image removed between
 * the listing and the inspect only drops its own line.
 */
export function listLayers(): string {
  return [
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
