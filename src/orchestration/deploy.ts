/**
 * The top-level sequences (Kamal's cli/main.rb): setup, deploy, redeploy, rollback, remove. Each is a
 * script of steps over the building blocks; the deploy lock wraps the steps that change servers,
 * and hooks run around them with Kamal's environment.
 */
import { appCommands } from "../commands/app.ts";
import * as proxy from "../commands/proxy.ts";
import * as server from "../commands/server.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { bootAllAccessories, removeAllAccessories } from "./accessory.ts";
import { bootApp, stopStaleContainers } from "./app-boot.ts";
import { removeAppFrom } from "./app-ops.ts";
import { buildAndPush, pullOnHosts } from "./build.ts";
import { checkLockFree, withLock } from "./lock.ts";
import { bootProxy } from "./proxy-boot.ts";
import { pruneAll } from "./prune.ts";
import { logoutOnHosts } from "./registry.ts";
import { refuseDuringRollout } from "./rollout.ts";
import type { Run } from "./run.ts";
import { bootstrapServers } from "./server.ts";

export interface DeployOptions {
  skipPush?: boolean;
  noCache?: boolean;
}

/** Build and push (unless skipped) — after checking that nobody holds the lock, so a held lock fails at once. */
async function build(run: Run, options: DeployOptions): Promise<void> {
  const s = run.session;
  await checkLockFree(run);
  if (!options.skipPush) {
    const ssh = run.config.builder.delivery === "ssh";
    await s.step(ssh ? "Build app image" : "Build and push app image", async () => {
      const started = performance.now();
      await buildAndPush(run, { noCache: options.noCache });
      s.emit({ type: "host-done", host: "local", what: `${ssh ? "built" : "built and pushed"} ${run.config.absoluteImage}`, ms: performance.now() - started });
    });
  }
}

/**
 * The pull runs under the lock: it untags and re-pulls the image, which must not happen on a
 * server while another deploy boots a container from it (Kamal pulls before taking the lock).
 */
async function pull(run: Run): Promise<void> {
  const title = run.config.builder.delivery === "ssh" ? `Send ${run.config.absoluteImage} over SSH (missing layers only)` : `Pull ${run.config.absoluteImage}`;
  await run.session.step(title, () => pullOnHosts(run));
}

function summary(run: Run, message: string): void {
  run.session.emit({ type: "summary", message, ms: run.elapsedSeconds() * 1000, ok: true });
}

async function postDeploy(run: Run): Promise<void> {
  await run.hook("post-deploy", { runtime: Math.round(run.elapsedSeconds()) });
}

export async function deploy(run: Run, options: DeployOptions = {}): Promise<void> {
  const s = run.session;
  await build(run, options);
  await withLock(run, async () => {
    await refuseDuringRollout(run, "a deploy");
    await pull(run);
    await run.hook("pre-deploy");
    await s.step("Ensure the proxy is running", () => bootProxy(run));
    const currentVersions = await s.step("Detect stale containers", () => stopStaleContainers(run));
    await s.step(`Boot ${run.config.service} ${run.config.version}`, () => bootApp(run, { currentVersions }));
    await s.step("Prune old containers and images", () => pruneAll(run));
  });
  await postDeploy(run);
  summary(run, `Deployed ${run.config.service} ${run.config.version} to ${run.selection.appHosts.length} host(s)`);
}

export async function setup(run: Run, options: DeployOptions = {}): Promise<void> {
  const s = run.session;
  await withLock(run, async () => {
    // As `server bootstrap`: the docker-setup hook runs every time, installed now or not.
    await s.step("Ensure Docker is installed", () => bootstrapServers(run, run.selection.hosts, { alwaysRunHook: true }));
    await build(run, options);
    await pull(run);
    await run.hook("pre-deploy");
    await s.step("Ensure the proxy is running", () => bootProxy(run));
    if (run.config.accessories.length > 0) await s.step("Boot accessories", () => bootAllAccessories(run));
    const currentVersions = await s.step("Detect stale containers", () => stopStaleContainers(run));
    await s.step(`Boot ${run.config.service} ${run.config.version}`, () => bootApp(run, { currentVersions }));
    await s.step("Prune old containers and images", () => pruneAll(run));
  });
  await postDeploy(run);
  summary(run, `Set up ${run.config.service} ${run.config.version} on ${run.selection.hosts.length} host(s)`);
}

export async function redeploy(run: Run, options: DeployOptions = {}): Promise<void> {
  const s = run.session;
  await build(run, options);
  await withLock(run, async () => {
    await refuseDuringRollout(run, "a redeploy");
    await pull(run);
    await run.hook("pre-deploy");
    const currentVersions = await s.step("Detect stale containers", () => stopStaleContainers(run));
    await s.step(`Boot ${run.config.service} ${run.config.version}`, () => bootApp(run, { currentVersions }));
  });
  await postDeploy(run);
  summary(run, `Redeployed ${run.config.service} ${run.config.version} to ${run.selection.appHosts.length} host(s)`);
}

/** Boot an earlier version whose containers are still on every app host (`run.config.version`). */
export async function rollback(run: Run): Promise<void> {
  const s = run.session;
  const version = run.config.version;
  await withLock(run, async () => {
    await refuseDuringRollout(run, "a rollback");
    const missing: string[] = [];
    await s.step(`Check that ${version} is on every host`, () =>
      s.onHosts(run.selection.appHosts, "version present", async (host) => {
        for (const role of run.selection.rolesOn(host)) {
          const id = await s.capture(host, render(appCommands(run.config, role, host).containerIdForVersion(version)));
          if (!id) missing.push(`${role.name} on ${host}`);
        }
      }),
    );
    if (missing.length > 0) {
      throw new SextantError(`The app version '${version}' is not available as a container (missing: ${missing.join(", ")})`, {
        hint: "Use `sextant app containers` to list the versions on the servers.",
      });
    }
    await run.hook("pre-deploy");
    await s.step(`Boot ${run.config.service} ${version}`, () => bootApp(run));
  });
  await postDeploy(run);
  summary(run, `Rolled back ${run.config.service} to ${version}`);
}

/** Remove the app's containers, images and directories; the proxy too when no other app uses it. */
export async function removeApp(run: Run): Promise<void> {
  const s = run.session;
  const config = run.config;
  await withLock(run, async () => {
    await s.step("Remove app containers, images and files", () => s.onHosts(run.selection.appHosts, "app removed", (host) => removeAppFrom(run, host)));
    if (run.config.accessories.length > 0) await s.step("Remove accessories", () => removeAllAccessories(run));
    await s.step("Remove the proxy where no app uses it", () =>
      s.onHosts(run.selection.proxyHosts, "proxy checked", async (host) => {
        const count = Number((await s.tryExec(host, render(server.appDirectoryCount(config)))).stdout.trim() || "0");
        if (count > 0) {
          s.emit({ type: "info", message: `Keeping the proxy on ${host}: ${count} other app(s) use it` });
          return;
        }
        await s.tryExec(host, render(proxy.stop()));
        await s.tryExec(host, render(proxy.removeContainer()));
        await s.tryExec(host, render(proxy.removeImage()));
        await s.tryExec(host, render(proxy.removeProxyDirectory(config.runDirectory)));
      }),
    );
    await s.step("Log out of the registry", () => logoutOnHosts(run, run.selection.hosts));
  });
  summary(run, `Removed ${config.service} from ${run.selection.hosts.length} host(s)`);
}
