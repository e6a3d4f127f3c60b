/**
 * A remote build without buildx (`builder.remote: ssh://user@host`, remote kind, no buildx plugin
 * locally): the local docker client talks to the server's Docker engine through the SSH connection
 * (a loopback TCP port here, each connection relayed to `docker system dial-stdio` there, as
 * Docker's own ssh:// transport does), builds there with Docker's
 * classic builder and pushes from there. With buildx installed, Kamal's buildx remote builder is
 * used instead (build.ts).
 */
import { createServer, type Server } from "node:net";
import { type BuildOptions, dockerArch, localArchitecture } from "../commands/builder.ts";
import { classicBuild, pushTags } from "../commands/classic-build.ts";
import { type Argv, render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { LocalCommandError, runLocal } from "./local.ts";
import { withLocalRegistryTunnels } from "./local-registry.ts";
import { relay } from "./relay.ts";
import type { Run } from "./run.ts";

/** What Docker's own ssh:// transport runs on the server: the engine's API on stdin/stdout. */
const DIAL_STDIO = "docker system dial-stdio";

/** `ssh://user@host:port` → `user@host:port` (the SSH pool's host spec); undefined for other schemes. */
export function sshBuilderHost(remote: string | undefined): string | undefined {
  if (!remote) return undefined;
  const m = /^ssh:\/\/(.+)$/.exec(remote.trim());
  return m ? m[1]!.replace(/\/+$/, "") : undefined;
}

/**
 * Serve the remote Docker engine on 127.0.0.1:<random port> for the duration of `fn`, each local
 * connection relayed over the SSH connection to the engine's Unix socket.
 */
async function withRemoteDocker<T>(run: Run, host: string, fn: (dockerHost: string) => Promise<T>): Promise<T> {
  const ssh = await run.session.connection(host).catch((error) => {
    throw new SextantError(`cannot reach the remote builder ${host}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "Check builder.remote (ssh://user@host) and that the key in ssh: gets in.",
      cause: error,
    });
  });
  if (!ssh.openExecStream) throw new SextantError("this SSH connection cannot relay streams");
  const server: Server = createServer((socket) => {
    ssh.openExecStream!(DIAL_STDIO).then(
      (channel) => relay(socket, channel),
      () => socket.destroy(),
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
  try {
    return await fn(`tcp://127.0.0.1:${port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The architecture of the remote builder's engine (amd64/arm64). */
async function remoteArch(run: Run, host: string): Promise<string> {
  const probe = await run.session.tryExec(host, render(localArchitecture())).catch((error) => {
    throw new SextantError(`cannot reach the remote builder ${host}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "Check builder.remote (ssh://user@host[:port]) and that the key in ssh: gets in.",
      cause: error,
    });
  });
  if (probe.code !== 0) {
    throw new SextantError(`Docker is not running on the remote builder ${host}: ${(probe.stderr || probe.stdout).trim()}`, { hint: "Install and start Docker there (sextant server bootstrap)." });
  }
  return dockerArch(probe.stdout.trim());
}

/** Build on the remote engine with the classic builder and push from there. */
export async function remoteClassicBuild(run: Run, dir: string, options: BuildOptions = {}): Promise<void> {
  const config = run.config;
  const host = sshBuilderHost(config.builder.remote);
  if (!host) {
    throw new SextantError(`builder.remote ${config.builder.remote ?? ""} is not an ssh:// URL`, {
      hint: "Without the buildx plugin, sextant builds remotely only over SSH (builder.remote: ssh://user@host); install buildx for other remotes.",
    });
  }
  checkClassicBuilder(run);
  const arch = await remoteArch(run, host);
  const wanted = config.builder.arches.length > 0 ? config.builder.arches : [arch];
  if (wanted.some((a) => a !== arch)) {
    throw new SextantError(`the remote builder ${host} builds ${arch} images, but builder.arch asks for ${wanted.join(", ")}`, {
      hint: "Building for other architectures (or several at once) needs the docker buildx plugin.",
    });
  }
  run.session.emit({ type: "info", message: `Building on ${host} (${arch}) with Docker's classic builder (no buildx here)` });
  const steps: Argv[] = [classicBuild(config, options), ...(options.output === "docker" ? [] : [pushTags(config, options)])];
  await withLocalRegistryTunnels(run, [host], () =>
    withRemoteDocker(run, host, async (dockerHost) => {
      for (const argv of steps) {
        const result = await runLocal(["sh", "-c", render(argv)], {
          cwd: dir,
          env: { DOCKER_HOST: dockerHost },
          allowFailure: true,
          reporter: run.reporter,
          redact: (t) => run.session.redact(t),
          display: `DOCKER_HOST=ssh://${host} ${render(argv, { redact: true })}`,
        });
        if (result.code !== 0) throw new LocalCommandError(`${render(argv, { redact: true })} (on ${host})`, result);
      }
    }),
  );
}

/**
 * What the classic builder cannot do, checked before it runs: `builder.secrets` and `builder.ssh`
 * are errors (the build would be wrong without them); cache export, provenance and SBOM
 * attestations are left out with a warning (the image itself is the same).
 */
export function checkClassicBuilder(run: Run): void {
  const b = run.config.builder;
  if (b.secrets.length > 0) throw buildSecretsNeedBuildx();
  if (b.ssh !== undefined) {
    throw new SextantError("builder.ssh needs BuildKit, and the docker buildx plugin is not installed locally", {
      hint: "Install buildx (Debian: docker-buildx), or fetch what the build needs over SSH before building.",
    });
  }
  const ignored = [b.cache ? `cache (${b.cache.type})` : undefined, b.provenance !== undefined ? "provenance" : undefined, b.sbom !== undefined ? "sbom" : undefined].filter(Boolean);
  if (ignored.length > 0) {
    run.session.emit({ type: "warn", message: `Without buildx, builder ${ignored.join(", ")} ${ignored.length === 1 ? "is" : "are"} not applied (Docker's classic builder has no such options)` });
  }
}

function buildSecretsNeedBuildx(): SextantError {
  return new SextantError("builder.secrets need BuildKit, and the docker buildx plugin is not installed locally", {
    hint: "Install buildx (Debian: docker-buildx), or pass the value another way: the classic builder cannot mount build secrets without writing them into an image layer.",
  });
}
