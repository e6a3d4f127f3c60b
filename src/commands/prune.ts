/**
 * Pruning at the end of deploy/setup (Kamal's commands/prune.rb). Both pipelines are service-wide: every role
 * and destination of the service shares the quota of kept containers, and only the current
 * destination's latest tag is protected among unused images.
 */
import type { ServiceConfig } from "./names.ts";
import { type Argv, docker, pipe } from "./shell.ts";

export type PruneConfig = Pick<ServiceConfig, "service" | "repository" | "latestTag">;

/**
 * Remove stopped containers of the service except the newest `retain`:
 * `docker ps -q -a --filter label=service=SVC --filter status=created|exited|dead | tail -n +N+1 | while read ...`.
 */
export function containers(config: PruneConfig, retain: number): Argv {
  if (!Number.isInteger(retain) || retain < 1) throw new RangeError("retain must be at least 1");
  return pipe(
    docker("ps", "-q", "-a", "--filter", `label=service=${config.service}`, ...["created", "exited", "dead"].flatMap((s) => ["--filter", `status=${s}`])),
    ["tail", "-n", `+${retain + 1}`],
    "while read container_id; do docker rm $container_id; done",
  );
}

/** `docker image prune --force --filter label=service=SVC`: untagged images of the service. */
export function danglingImages(config: PruneConfig): Argv {
  return docker("image", "prune", "--force", "--filter", `label=service=${config.service}`);
}

/**
 * Remove tagged images of the service that no container (of any status) uses, except the
 * current latest tag; `<none>` tags are left to the dangling prune.
 */
export function taggedImages(config: PruneConfig): Argv {
  const inUse = `$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=${config.service} | tr -d '\\n')`;
  const keep = `${inUse}${config.repository}:${config.latestTag}\\|${config.repository}:<none>`;
  return pipe(
    docker("image", "ls", "--filter", `label=service=${config.service}`, "--format", "'{{.ID}} {{.Repository}}:{{.Tag}}'"),
    ["grep", "-v", "-w", `"${keep}"`],
    "while read image tag; do docker rmi $tag; done",
  );
}
