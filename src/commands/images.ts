/**
 * Service-wide app commands that do not depend on a role: container and image listings, image
 * removal, and tagging the booted version as latest on every app host after all groups booted.
 */
import { containerFilters } from "./app.ts";
import type { AppConfig } from "./names.ts";
import { type Argv, docker } from "./shell.ts";

/** `docker container ls --all --filter label=service=SVC --filter label=destination=DEST` (`app containers`). */
export function listContainers(config: Pick<AppConfig, "service" | "destination">): Argv {
  return docker("container", "ls", "--all", ...containerFilters(config));
}

/** `docker image ls REPOSITORY` (`app images`). */
export function listImages(config: Pick<AppConfig, "repository">): Argv {
  return docker("image", "ls", config.repository);
}

/** `docker image prune --all --force --filter label=service=SVC` (`app remove`). */
export function removeImages(config: Pick<AppConfig, "service">): Argv {
  return docker("image", "prune", "--all", "--force", "--filter", `label=service=${config.service}`);
}

/** `docker tag REPO:V REPO:latest[-DEST]` */
export function tagLatestImage(config: Pick<AppConfig, "absoluteImage" | "latestImage">): Argv {
  return docker("tag", config.absoluteImage, config.latestImage);
}
