/**
 * Local build commands (Kamal's commands/builder/*.rb): the buildx builder (create/inspect/remove), the
 * `docker buildx build` / `pack build` line, the git clone the build runs in, and the pull steps
 * servers run afterwards. The local Docker arch (from `docker info`) is passed in by the caller.
 */
import { createHash } from "node:crypto";
import type { SextantConfig } from "../config/model.ts";
import { type Argv, any, argumentize, chain, combine, docker, escape, pipe, shellEscape, type Token } from "./shell.ts";

export type BuildConfig = Pick<SextantConfig, "builder" | "service" | "repository" | "version" | "latestTag" | "registry" | "image">;

export interface BuildOptions {
  /** `registry` (push) or `docker` (load locally, `build dev`). */
  output?: string;
  noCache?: boolean;
  /** `build dev`: tag `V-dirty` and `latest-dirty`. */
  dirty?: boolean;
}

function platforms(arches: readonly string[]): string {
  return arches.map((arch) => `linux/${arch}`).join(",");
}

/** `REPO:V` and `REPO:latest[-DEST]` (with `-dirty` for `build dev`). */
function tagNames(config: BuildConfig, dirty: boolean): [string, string] {
  const suffix = dirty ? "-dirty" : "";
  return [`${config.repository}:${config.version}${suffix}`, `${config.repository}:${config.latestTag}${suffix}`];
}

/** `-t REPO:V -t REPO:latest[-DEST]` */
function tagArgs(config: BuildConfig, dirty: boolean): string[] {
  return tagNames(config, dirty).flatMap((tag) => ["-t", tag]);
}

/** `[REGISTRY/]<cache.image or IMAGE-build-cache>` */
function cacheImageRef(config: BuildConfig): string {
  const image = config.builder.cache?.image ?? `${config.image}-build-cache`;
  return [config.registry.server, image].filter((part) => part !== undefined && part !== "").join("/");
}

/** The GitHub Actions cache options that also apply when reading the cache. */
const GHA_FROM_KEYS = new Set(["url", "url_v2", "token", "scope", "timeout"]);

/** `--cache-to X --cache-from Y` for gha or registry caches. */
function cacheArgs(config: BuildConfig): string[] {
  const cache = config.builder.cache;
  if (!cache) return [];
  const options = cache.options === undefined || cache.options === "" ? [] : [cache.options];
  if (cache.type === "gha") {
    const fromOptions = options.flatMap((o) => o.split(",")).filter((o) => GHA_FROM_KEYS.has(o.split("=")[0] ?? ""));
    return ["--cache-to", ["type=gha", ...options].join(","), "--cache-from", ["type=gha", ...fromOptions].join(",")];
  }
  if (cache.type === "registry") {
    const ref = `ref=${cacheImageRef(config)}`;
    return ["--cache-to", ["type=registry", ref, ...options].join(","), "--cache-from", ["type=registry", ref].join(",")];
  }
  return [];
}

/** Everything between the tags and the context, in Kamal's order. */
function buildOptions(config: BuildConfig, options: BuildOptions): Token[] {
  const b = config.builder;
  return [
    ...tagArgs(config, options.dirty === true),
    ...cacheArgs(config),
    ...argumentize("--label", { service: config.service }),
    ...argumentize("--build-arg", b.args, { sensitive: true }),
    ...b.secrets.flatMap((name) => ["--secret", `id=${escape(name)}`]),
    "--file",
    b.dockerfile,
    ...(b.target === undefined ? [] : ["--target", b.target]),
    ...(b.ssh === undefined ? [] : ["--ssh", b.ssh]),
    ...(b.provenance === undefined ? [] : ["--provenance", String(b.provenance)]),
    ...(b.sbom === undefined ? [] : ["--sbom", String(b.sbom)]),
    ...(options.noCache ? ["--no-cache"] : []),
  ];
}

/**
 * The build and push: `docker buildx build --output=type=registry --platform ... [--builder N] ... CONTEXT 2>&1`,
 * or for buildpacks `pack build ... && docker push REPO:V && docker push REPO:latest`.
 */
export function push(config: BuildConfig, localArch: string, options: BuildOptions = {}): Argv {
  const b = config.builder;
  const output = options.output ?? "registry";
  const context = b.context ?? ".";
  if (b.pack) return packBuild(config, output, context, options);
  const name = b.name(localArch);
  return docker("buildx", "build", `--output=type=${output}`, "--platform", platforms(b.arches), name === undefined ? undefined : ["--builder", name], buildOptions(config, options), context, "2>&1");
}

function packBuild(config: BuildConfig, output: string, context: string, options: BuildOptions): Argv {
  const pack = config.builder.pack!;
  const build: Token[] = [
    "pack",
    "build",
    config.repository,
    "--platform",
    platforms(config.builder.arches),
    "--creation-time",
    "now",
    "--builder",
    pack.builder,
    ...[...pack.buildpacks, "paketo-buildpacks/image-labels"].flatMap((bp) => ["--buildpack", bp]),
    ...tagArgs(config, options.dirty === true),
    ...(options.noCache ? ["--clear-cache"] : []),
    "--env",
    `BP_IMAGE_LABELS=service=${config.service}`,
    ...argumentize("--env", config.builder.args, { sensitive: true }),
    // Build secrets by name only: pack reads a value-less `--env NAME` from its own environment,
    // where the build step exports them, so no value is on a command line.
    ...config.builder.secrets.flatMap((name) => ["--env", name]),
    "--path",
    context,
  ];
  if (output !== "registry") return build;
  const [versionTag, latestTag] = tagNames(config, options.dirty === true);
  return combine(build, docker("push", versionTag), docker("push", latestTag));
}

/** The builder name (none for the docker driver and pack). */
function builderName(config: BuildConfig, localArch: string): string {
  const name = config.builder.name(localArch);
  if (name === undefined) throw new Error("this builder has no buildx builder to manage");
  return name;
}

function driverOpts(config: BuildConfig): string[] {
  return config.registry.local ? ["--driver-opt", "network=host"] : [];
}

function contextCreate(name: string, remote: string): Argv {
  return docker("context", "create", `${name}-context`, "--description", `'${name} host'`, "--docker", `'host=${remote}'`);
}

/** Create the buildx builder for this kind (local, remote, hybrid, cloud). */
export function create(config: BuildConfig, localArch: string): Argv {
  const b = config.builder;
  const name = builderName(config, localArch);
  switch (b.kind(localArch)) {
    case "remote":
      return chain(contextCreate(name, b.remote!), docker("buildx", "create", "--name", name, driverOpts(config), `${name}-context`));
    case "hybrid":
      return combine(
        docker("buildx", "create", "--platform", platforms(b.localArches(localArch)), "--name", name, `--driver=${b.driver}`, driverOpts(config)),
        contextCreate(name, b.remote!),
        docker("buildx", "create", "--platform", platforms(b.remoteArches(localArch)), "--append", "--name", name, driverOpts(config), `${name}-context`),
      );
    case "cloud":
      return docker("buildx", "create", "--driver", b.driver.replace(/^cloud\s+/, "cloud "));
    default:
      return docker("buildx", "create", "--name", name, `--driver=${b.driver}`, driverOpts(config));
  }
}

/** Remove the builder (and the remote docker context). */
export function remove(config: BuildConfig, localArch: string): Argv {
  const name = builderName(config, localArch);
  const kind = config.builder.kind(localArch);
  const rm = docker("buildx", "rm", name);
  return kind === "remote" || kind === "hybrid" ? chain(rm, docker("context", "rm", `${name}-context`)) : rm;
}

/** Checks the builder exists (and, for remote builders, points at the configured remote). */
export function inspect(config: BuildConfig, localArch: string): Argv {
  const b = config.builder;
  // Buildpacks: the pack CLI checks (and pulls) its builder image.
  if (b.pack) return ["pack", "builder", "inspect", b.pack.builder];
  const name = builderName(config, localArch);
  const kind = b.kind(localArch);
  if (kind !== "remote" && kind !== "hybrid") return docker("buildx", "inspect", name);
  return any(
    combine(
      pipe(docker("buildx", "inspect", name), ["grep", "-q", `Endpoint:.*${name}-context`]),
      pipe(docker("context", "inspect", `${name}-context`, "--format", "'{{.Endpoints.docker.Host}}'"), ["grep", "-xq", b.remote!]),
    ),
    "(echo no compatible builder && exit 1)",
  );
}

/** `docker context ls && docker buildx ls` (`build details`). */
export function info(): Argv {
  return combine(docker("context", "ls"), docker("buildx", "ls"));
}

/** `docker info --format '{{.Architecture}}'`: aarch64 / x86_64, see `dockerArch`. */
export function localArchitecture(): Argv {
  return docker("info", "--format", "'{{.Architecture}}'");
}

export function dockerArch(architecture: string): string {
  const arch = architecture.trim();
  return arch === "aarch64" ? "arm64" : arch === "x86_64" ? "amd64" : arch;
}

// ---- servers: after the push ------------------------------------------------------------------

/** `docker image rm --force REPO:V` (failure ignored), so the pull below really pulls. */
export function clean(config: Pick<BuildConfig, "repository" | "version">): Argv {
  return docker("image", "rm", "--force", `${config.repository}:${config.version}`);
}

export function pull(config: Pick<BuildConfig, "repository" | "version">): Argv {
  return docker("pull", `${config.repository}:${config.version}`);
}

/** Refuse images built without the `service` label (prune and filters depend on it). */
export function validateImage(config: Pick<BuildConfig, "repository" | "version" | "service">): Argv {
  const image = `${config.repository}:${config.version}`;
  return any(pipe(docker("inspect", "-f", "'{{ .Config.Labels.service }}'", image), ["grep", "-x", config.service]), `(echo "Image ${image} is missing the 'service' label" && exit 1)`);
}

/** The first registry mirror of a server (pulls seed one host per mirror first). */
export function firstMirror(): Argv {
  return docker("info", "--format", "'{{index .RegistryConfig.Mirrors 0}}'");
}

// ---- the git clone the build runs in ---------------------------------------------------------

export interface ClonePaths {
  /** `$TMPDIR/kamal-clones/SVC-<13 hex of sha256(cwd)>` */
  cloneDirectory: string;
  /** Clone dir + repo dir name + cwd relative to the repo root. */
  buildDirectory: string;
}

export function clonePaths(options: { tmpdir: string; service: string; cwd: string; gitRoot: string }): ClonePaths {
  const hash = createHash("sha256").update(options.cwd).digest("hex").slice(0, 13);
  const cloneDirectory = `${options.tmpdir.replace(/\/$/, "")}/kamal-clones/${options.service}-${hash}`;
  const repoName = options.gitRoot.split("/").filter(Boolean).pop() ?? "";
  const relative = options.cwd === options.gitRoot ? "" : options.cwd.slice(options.gitRoot.replace(/\/$/, "").length + 1);
  return { cloneDirectory, buildDirectory: [cloneDirectory, repoName, relative].filter(Boolean).join("/") };
}

function git(path: string, ...args: string[]): Argv {
  return ["git", "-C", shellEscape(path), ...args];
}

export function makeCloneDirectory(paths: ClonePaths): Argv {
  return ["mkdir", "-p", shellEscape(paths.cloneDirectory)];
}

/** `git -C CLONE_DIR clone ROOT --recurse-submodules` */
export function clone(paths: ClonePaths, gitRoot: string): Argv {
  return git(paths.cloneDirectory, "clone", shellEscape(gitRoot), "--recurse-submodules");
}

/** Bring an existing clone to `revision` (when `clone` says the directory already exists). */
export function cloneResetSteps(paths: ClonePaths, gitRoot: string, revision: string): Argv[] {
  const dir = paths.buildDirectory;
  return [
    git(dir, "remote", "set-url", "origin", shellEscape(gitRoot)),
    git(dir, "fetch", "origin"),
    git(dir, "reset", "--hard", revision),
    git(dir, "clean", "-fdx"),
    git(dir, "submodule", "update", "--init"),
    git(dir, "gc", "--auto", "--quiet"),
  ];
}

/** Must print nothing: the clone is clean. */
export function cloneStatus(paths: ClonePaths): Argv {
  return git(paths.buildDirectory, "status", "--porcelain");
}

/** Must equal the local HEAD. */
export function cloneRevision(paths: ClonePaths): Argv {
  return git(paths.buildDirectory, "rev-parse", "HEAD");
}

/** `DIR: N free of M` for the filesystem holding Docker's data (for a disk-full error). */
export function dockerRootSpace(): Argv {
  return ["df", "-h", "--output=target,avail,size", "\"$(docker info --format '{{.DockerRootDir}}')\"", "|", "awk", '\'NR==2 {print $1": "$2" free of "$3}\''];
}
