/**
 * The `build` command group beyond push/pull (Kamal's cli/build.rb): `build dev` (the working directory,
 * tagged `V-dirty`), and the buildx builder's create/remove/details. Push and pull are build.ts.
 */
import * as builder from "../commands/builder.ts";
import { classicBuild, pushTags } from "../commands/classic-build.ts";
import { SextantError } from "../errors.ts";
import { runLocal } from "./local.ts";
import { hasBuildx, local, localDockerArch } from "./local-docker.ts";
import { ensureLocalRegistry } from "./local-registry.ts";
import { loginLocally } from "./registry.ts";
import { checkClassicBuilder, remoteClassicBuild, sshBuilderHost } from "./remote-build.ts";
import type { Run } from "./run.ts";

export interface DevBuildOptions {
  /** `docker` (default: load into the local engine) or `registry` (push). */
  output?: string;
  noCache?: boolean;
}

/** `build dev`: build the working directory as it is (no clone), tagged `V-dirty` and `latest[-DEST]-dirty`. */
export async function buildDev(run: Run, options: DevBuildOptions = {}): Promise<void> {
  const config = run.config;
  const output = options.output ?? "docker";
  const arch = await localDockerArch(run);
  const buildx = await hasBuildx();
  const status = await runLocal(["git", "status", "--porcelain", "--untracked-files=all"], { cwd: config.cwd, allowFailure: true }).catch(() => ({ code: 1, stdout: "" }));
  if (status.code === 0 && status.stdout.trim() !== "") {
    run.session.emit({
      type: "warn",
      message: `Building with uncommitted changes:\n${status.stdout
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n")}`,
    });
  }
  if (output === "registry") {
    if (config.registry.local) await ensureLocalRegistry(run);
    await loginLocally(run);
  }
  const env = Object.fromEntries(config.builder.secrets.map((name) => [name, run.session.secret(name).reveal()]));
  const buildOptions = { output, dirty: true, noCache: options.noCache };
  const kind = config.builder.kind(arch);
  if (buildx) {
    await local(run, builder.push(config, arch, buildOptions), { env });
    return;
  }
  if (kind === "remote") return remoteClassicBuild(run, config.cwd, buildOptions);
  checkClassicBuilder(run);
  const arches = config.builder.arches.length > 0 ? config.builder.arches : [arch];
  if (kind !== "local" || arches.some((a) => a !== arch)) {
    throw new SextantError("Docker buildx plugin is not installed locally", { hint: `Install buildx to build for ${arches.join(", ")} or with a ${kind} builder.` });
  }
  await local(run, classicBuild(config, buildOptions));
  if (output === "registry") await local(run, pushTags(config, buildOptions));
}

/** `build create`: the buildx builder for this config (nothing to create without buildx or with driver docker). */
export async function createBuilder(run: Run): Promise<string> {
  const config = run.config;
  const arch = await localDockerArch(run);
  const remoteHost = sshBuilderHost(config.builder.remote);
  if (remoteHost && config.builder.kind(arch) !== "local") {
    const ok = await run.session.tryExec(remoteHost, "true").catch((error) => ({ code: 1, stderr: error instanceof Error ? error.message : String(error) }));
    if (ok.code !== 0) throw new SextantError(`Couldn't create remote builder: cannot connect to ${remoteHost}: ${ok.stderr.trim()}`);
  }
  if (!(await hasBuildx())) {
    return config.builder.kind(arch) === "remote" && remoteHost
      ? `No builder to create: without buildx, images are built by the Docker engine on ${remoteHost} over SSH`
      : "No builder to create: without buildx, images are built by Docker's classic builder";
  }
  if (config.builder.name(arch) === undefined) return "No builder to create: the default builder is used";
  const result = await local(run, builder.create(config, arch), { allowFailure: true });
  if (result.code !== 0) throw new SextantError(`Couldn't create ${config.builder.kind(arch)} builder: ${(result.stderr || result.stdout).trim()}`);
  return `Created builder ${config.builder.name(arch)}`;
}

/** `build remove`: remove the buildx builder (and its docker context for remote builders). */
export async function removeBuilder(run: Run): Promise<string> {
  const config = run.config;
  const arch = await localDockerArch(run);
  if (!(await hasBuildx()) || config.builder.name(arch) === undefined) return "No builder to remove";
  await local(run, builder.remove(config, arch), { allowFailure: true });
  return `Removed builder ${config.builder.name(arch)}`;
}

/** `build details`: the builder kind, the docker contexts and buildx builders. */
export async function builderDetails(run: Run): Promise<string> {
  const arch = await localDockerArch(run);
  const kind = run.config.builder.kind(arch);
  const buildx = await hasBuildx();
  const contexts = await local(run, buildx ? builder.info() : ["docker", "context", "ls"], { allowFailure: true });
  const how = buildx ? "" : `\n(no buildx plugin: ${kind === "remote" ? "remote builds use the classic builder of the remote engine over SSH" : "Docker's classic builder"})`;
  return `Builder: ${kind}${how}\n${contexts.stdout}`;
}
