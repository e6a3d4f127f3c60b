/**
 * The build without buildx: Docker's classic `docker build` (or the daemon's built-in BuildKit),
 * then a push of both tags. Used when the local Docker has no buildx plugin and the build is for
 * the local architecture only.
 */
import type { BuildConfig, BuildOptions } from "./builder.ts";
import { type Argv, argumentize, combine, docker, escape } from "./shell.ts";

export function classicBuild(config: BuildConfig, options: BuildOptions = {}): Argv {
  const b = config.builder;
  return docker(
    "build",
    "-t",
    `${config.repository}:${config.version}${options.dirty ? "-dirty" : ""}`,
    "-t",
    `${config.repository}:${config.latestTag}${options.dirty ? "-dirty" : ""}`,
    ...argumentize("--label", { service: config.service }),
    ...argumentize("--build-arg", b.args, { sensitive: true }),
    ...b.secrets.flatMap((name) => ["--secret", `id=${escape(name)}`]),
    "--file",
    b.dockerfile,
    ...(b.target === undefined ? [] : ["--target", b.target]),
    ...(options.noCache ? ["--no-cache"] : []),
    b.context ?? ".",
    "2>&1",
  );
}

export function pushTags(config: Pick<BuildConfig, "repository" | "version" | "latestTag">, options: Pick<BuildOptions, "dirty"> = {}): Argv {
  const suffix = options.dirty ? "-dirty" : "";
  return combine(docker("push", `${config.repository}:${config.version}${suffix}`), docker("push", `${config.repository}:${config.latestTag}${suffix}`));
}

/** `docker login [SERVER] -u "USER" --password-stdin`: the password goes through stdin, never argv. */
export function loginWithStdin(server: string | undefined, username: string): Argv {
  return docker("login", server, "-u", escape(username), "--password-stdin");
}
