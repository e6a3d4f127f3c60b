/**
 * Kamal 2's local registry (`registry.server: localhost:PORT`): a registry
 * container on the deployer's Docker bound to 127.0.0.1:PORT, pushed to like any registry, and
 * reached by the servers through SSH reverse port forwards (`ssh -R PORT:127.0.0.1:PORT`) that are
 * open only while they pull. No credentials are involved anywhere.
 *
 * The registry image is `registry:3` as in Kamal; SEXTANT_LOCAL_REGISTRY_IMAGE names another one
 * (a mirror, or an image built in-house where Docker Hub is out of reach).
 */
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { LOCAL_REGISTRY_CONTAINER, LOCAL_REGISTRY_IMAGE, removeLocal, setupLocal } from "../commands/registry.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { runLocal } from "./local.ts";
import { relay } from "./relay.ts";
import type { Run } from "./run.ts";

export function localRegistryImage(env: Record<string, string | undefined> = process.env): string {
  return env.SEXTANT_LOCAL_REGISTRY_IMAGE?.trim() || LOCAL_REGISTRY_IMAGE;
}

function port(run: Run): number {
  return run.config.registry.localPort ?? 5000;
}

/** Does the registry answer on 127.0.0.1:PORT (from this process)? */
export async function localRegistryAnswers(registryPort: number, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${registryPort}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}

/** Start (or create) the local registry container and wait until it answers. */
export async function ensureLocalRegistry(run: Run): Promise<void> {
  const p = port(run);
  const image = localRegistryImage();
  const argv = setupLocal(p, image);
  const result = await runLocal(["sh", "-c", render(argv)], { cwd: run.config.cwd, allowFailure: true, reporter: run.reporter, display: render(argv) });
  if (result.code !== 0) {
    throw new SextantError(`cannot start the local registry (${LOCAL_REGISTRY_CONTAINER}, ${image}) on 127.0.0.1:${p}: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ")}`, {
      hint: `Is port ${p} free and the image available? SEXTANT_LOCAL_REGISTRY_IMAGE names another registry image; \`sextant registry remove\` removes the container.`,
    });
  }
  const deadline = performance.now() + 15_000;
  while (!(await localRegistryAnswers(p))) {
    if (performance.now() > deadline) {
      throw new SextantError(`the local registry does not answer on 127.0.0.1:${p}`, { hint: `See \`docker logs ${LOCAL_REGISTRY_CONTAINER}\`.` });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stop and remove the local registry container (errors ignored). */
export async function removeLocalRegistry(run: Run): Promise<void> {
  await runLocal(["sh", "-c", render(removeLocal())], { cwd: run.config.cwd, allowFailure: true, reporter: run.reporter });
}

/** Relay one forwarded connection to 127.0.0.1:PORT here. */
function toRegistry(channel: Duplex, registryPort: number): void {
  relay(connect({ host: "127.0.0.1", port: registryPort }), channel);
}

/**
 * Run `fn` while every host's `localhost:PORT` reaches the local registry through an SSH reverse
 * forward; the forwards are closed afterwards, whatever happened. Without a local registry, just `fn`.
 */
export async function withLocalRegistryTunnels<T>(run: Run, hosts: readonly string[], fn: () => Promise<T>): Promise<T> {
  if (!run.config.registry.local || hosts.length === 0) return fn();
  const p = port(run);
  if (!(await localRegistryAnswers(p, 3000))) {
    throw new SextantError(`the local registry does not answer on 127.0.0.1:${p}, so the servers cannot pull from it`, {
      hint: "`sextant registry setup` starts it (`sextant build push` too); the image must be pushed to it first.",
    });
  }
  const stops: (() => Promise<void>)[] = [];
  try {
    await run.session.onHosts(hosts, `tunnel to the local registry on localhost:${p}`, async (host) => {
      const ssh = await run.session.connection(host);
      if (!ssh.forwardIn) throw new SextantError("this SSH connection cannot forward ports");
      try {
        stops.push(await ssh.forwardIn("localhost", p, (channel) => toRegistry(channel, p)));
      } catch (error) {
        throw new SextantError(`cannot open the reverse tunnel for the local registry on ${host}: ${error instanceof Error ? error.message : String(error)}`, {
          hint: `Port ${p} must be free on ${host} (localhost) and sshd must allow TCP forwarding (AllowTcpForwarding yes).`,
        });
      }
    });
    return await fn();
  } finally {
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
  }
}
