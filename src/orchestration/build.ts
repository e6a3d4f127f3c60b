/**
 * Build the app image locally and push it (Kamal's `build push`): from a fresh git
 * clone of HEAD (or `builder.context`), with buildx when the local Docker has it and the classic
 * builder otherwise; then pull it on the servers (`build pull`).
 */
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as builder from "../commands/builder.ts";
import { classicBuild, pushTags } from "../commands/classic-build.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { deliverToHosts } from "./delivery.ts";
import { diskFullError } from "./disk-full.ts";
import { LocalCommandError, runLocal } from "./local.ts";
import { hasBuildx, local, localDockerArch } from "./local-docker.ts";
import { ensureLocalRegistry, withLocalRegistryTunnels } from "./local-registry.ts";
import { loginLocally, loginOnHosts } from "./registry.ts";
import { checkClassicBuilder, remoteClassicBuild, sshBuilderHost } from "./remote-build.ts";
import type { Run } from "./run.ts";

export interface BuildRunOptions {
  noCache?: boolean;
  /** `registry` (push, the default) or `docker` (load into the builder's engine only). */
  output?: string;
}

async function gitRoot(run: Run): Promise<string> {
  const result = await runLocal(["git", "rev-parse", "--show-toplevel"], { cwd: run.config.cwd, allowFailure: true });
  if (result.code !== 0) throw new SextantError(`cannot build from git: ${run.config.cwd} is not in a git repository`, { hint: "Commit your app to git, or set builder.context." });
  return result.stdout.trim();
}

/** A clean clone of HEAD to build from; returns the directory the build runs in. */
async function prepareClone(run: Run): Promise<string> {
  const root = await gitRoot(run);
  const head = (await runLocal(["git", "rev-parse", "HEAD"], { cwd: run.config.cwd })).stdout.trim();
  const dirty = (await runLocal(["git", "status", "--porcelain"], { cwd: run.config.cwd })).stdout.trim();
  if (dirty) run.session.emit({ type: "warn", message: "Building from a git clone of HEAD: uncommitted changes are not included" });
  const paths = builder.clonePaths({ tmpdir: tmpdir(), service: run.config.service, cwd: run.config.cwd, gitRoot: root });
  const attempt = async () => {
    await local(run, builder.makeCloneDirectory(paths));
    const cloned = await local(run, builder.clone(paths, root), { allowFailure: true });
    if (cloned.code !== 0) {
      if (!/already exists and is not an empty directory/.test(cloned.stderr + cloned.stdout)) throw new LocalCommandError("git clone", cloned);
      for (const step of builder.cloneResetSteps(paths, root, head)) await local(run, step);
    }
    const status = (await local(run, builder.cloneStatus(paths))).stdout.trim();
    const revision = (await local(run, builder.cloneRevision(paths))).stdout.trim();
    if (status !== "" || revision !== head) throw new SextantError(`the build clone is not at ${head}`);
  };
  try {
    await attempt();
  } catch (error) {
    run.session.emit({ type: "warn", message: `Error preparing clone: ${error instanceof Error ? error.message.split("\n")[0] : error}, deleting and retrying...` });
    rmSync(paths.cloneDirectory, { recursive: true, force: true });
    await attempt();
  }
  return paths.buildDirectory;
}

/** Build the image and push it to the registry. */
export async function buildAndPush(run: Run, options: BuildRunOptions = {}): Promise<void> {
  const config = run.config;
  // delivery: ssh — the image stays in the local engine; deliverToHosts sends it from there.
  if (config.builder.delivery === "ssh") options = { ...options, output: "docker" };
  await run.session.beforeFirstConnection();
  const arch = await localDockerArch(run);
  const buildx = await hasBuildx();
  if (config.registry.local) await ensureLocalRegistry(run);
  await loginLocally(run);
  await run.hook("pre-build");
  const dir = config.builder.gitClone ? await prepareClone(run) : config.cwd;
  if (config.builder.context && !existsSync(dir)) throw new SextantError(`builder.context ${config.builder.context} does not exist`);
  const kind = config.builder.kind(arch);
  const arches = config.builder.arches.length > 0 ? config.builder.arches : [arch];
  const env = Object.fromEntries(config.builder.secrets.map((name) => [name, run.session.secret(name).reveal()]));

  if (!buildx && kind === "remote") return remoteClassicBuild(run, dir, { noCache: options.noCache, output: options.output });
  if (buildx || kind !== "local" || arches.some((a) => a !== arch)) {
    if (!buildx) {
      throw new SextantError("Docker buildx plugin is not installed locally", {
        hint: `Install buildx to build for ${arches.join(", ")} or with a ${kind} builder; the classic builder only builds for ${arch}.`,
      });
    }
    if (config.builder.pack) {
      // pack manages its builder image itself; inspecting it fails clearly when pack is missing.
      await local(run, builder.inspect(config, arch), { cwd: dir });
    } else if (config.builder.name(arch) !== undefined) {
      // The docker driver has no buildx builder to inspect or create.
      const inspect = await local(run, builder.inspect(config, arch), { allowFailure: true, cwd: dir });
      if (inspect.code !== 0) {
        run.session.emit({ type: "info", message: "Missing compatible builder, so creating a new one first" });
        await local(run, builder.remove(config, arch), { allowFailure: true, cwd: dir });
        await local(run, builder.create(config, arch), { cwd: dir });
      }
    }
    const builderHosts = config.registry.local && (kind === "remote" || kind === "hybrid") ? [sshBuilderHost(config.builder.remote)].filter((h): h is string => h !== undefined) : [];
    await withLocalRegistryTunnels(run, builderHosts, () =>
      runLocal(["sh", "-c", render(builder.push(config, arch, { noCache: options.noCache, output: options.output }))], {
        cwd: dir,
        env,
        reporter: run.reporter,
        redact: (t) => run.session.redact(t),
        display: render(builder.push(config, arch, { noCache: options.noCache, output: options.output }), { redact: true }),
      }),
    );
    return;
  }
  checkClassicBuilder(run);
  const buildEnv = config.builder.secrets.length > 0 ? { ...env, DOCKER_BUILDKIT: "1" } : env;
  const build = classicBuild(config, { noCache: options.noCache });
  await runLocal(["sh", "-c", render(build)], {
    cwd: dir,
    env: buildEnv,
    reporter: run.reporter,
    redact: (t) => run.session.redact(t),
    display: render(build, { redact: true }),
  });
  if (options.output !== "docker") await local(run, pushTags(config), { cwd: dir });
}

/** Pull the image on the app hosts and check it carries the service label. */
export async function pullOnHosts(run: Run, hosts: readonly string[] = run.selection.appHosts): Promise<void> {
  const config = run.config;
  if (config.builder.delivery === "ssh") return deliverToHosts(run, hosts);
  await loginOnHosts(run, hosts);
  // Audit, untag (so the pull really fetches), pull and check the label: one round trip per host.
  const script = [
    run.auditCommand(`Pulled image with version ${config.version}`),
    `{ ${render(builder.clean(config))} || true; }`,
    render(builder.pull(config)),
    `{ ${render(builder.validateImage(config))}; }`,
  ].join(" && ");
  await withLocalRegistryTunnels(run, hosts, () =>
    run.session.onHosts(hosts, `pulled ${config.absoluteImage}`, async (host) => {
      try {
        await run.session.execIdempotent(host, script, "the pull");
      } catch (error) {
        throw await diskFullError(run, host, error, `pulling ${config.absoluteImage}`);
      }
    }),
  );
}
