/**
 * The proxy on each server (Kamal's `kamal proxy ...`, cli/proxy.rb): boot, reboot (all at once or
 * one host at a time), start/stop/restart, details, logs, remove, upgrade and the legacy boot config
 * files. Proxy commands act on the selection's proxy hosts.
 */

import { type ListingOptions, listing } from "../commands/json-format.ts";
import * as proxy from "../commands/proxy.ts";
import { type BootConfigFiles, type BootConfigOptions, bootConfigFiles, bootFilePaths, removeBootFiles } from "../commands/proxy-boot-config.ts";
import * as server from "../commands/server.ts";
import { render } from "../commands/shell.ts";
import { SextantError, UsageError } from "../errors.ts";
import { bootApp } from "./app-boot.ts";
import { type HostOutput, onEachHost } from "./app-ops.ts";
import { runInteractive } from "./interactive.ts";
import { withLock } from "./lock.ts";
import { bootProxy, OWN_PROXY_DEFAULTS, proxyRunFor } from "./proxy-boot.ts";
import { ensureProxyImage, SEXTANT_PROXY_IMAGE } from "./proxy-image.ts";
import { pruneAll } from "./prune.ts";
import { loginOnHosts } from "./registry.ts";
import type { Run } from "./run.ts";

function proxyHosts(run: Run, what: string): string[] {
  const hosts = run.selection.proxyHosts;
  if (hosts.length === 0) {
    throw new UsageError(`No proxy hosts selected for ${what}`, {
      hint: "The proxy runs on the hosts of roles with a proxy section (the primary role has one by default); check --hosts/--roles.",
    });
  }
  return hosts;
}

/** `proxy boot`: the kamal network everywhere, the proxy on proxy hosts (started, or run). */
export async function proxyBoot(run: Run): Promise<void> {
  proxyHosts(run, "proxy boot");
  await withLock(run, () => run.session.step("Boot the proxy", () => bootProxy(run)));
}

/** Hosts whose proxy (after a reboot) runs sextant's own image, per proxy.run or the boot files. */
async function ownImageHosts(run: Run, hosts: readonly string[]): Promise<string[]> {
  const paths = proxy.proxyPaths(run.config.runDirectory);
  const own: string[] = [];
  for (const host of hosts) {
    const runConfig = proxyRunFor(run, host);
    if (runConfig) {
      if (runConfig.image === SEXTANT_PROXY_IMAGE) own.push(host);
      continue;
    }
    const image = await run.session.capture(
      host,
      `echo "$(cat ${paths.imageFile} 2>/dev/null || echo ${OWN_PROXY_DEFAULTS.image}):$(cat ${paths.imageVersionFile} 2>/dev/null || echo ${OWN_PROXY_DEFAULTS.version})"`,
    );
    if (image === SEXTANT_PROXY_IMAGE) own.push(host);
  }
  return own;
}

/** Wait until the proxy on `host` answers on its control socket (its routes are restored by then). */
async function waitForProxy(run: Run, host: string, timeoutSeconds = 30): Promise<void> {
  const deadline = performance.now() + timeoutSeconds * 1000;
  for (;;) {
    const result = await run.session.tryExec(host, render(proxy.kamalProxy("list")));
    if (result.code === 0) return;
    if (performance.now() > deadline) {
      throw new SextantError(`The proxy on ${host} did not come back within ${timeoutSeconds}s: ${(result.stderr || result.stdout).trim()}`, {
        hint: `Look at its log with \`sextant proxy logs -h ${host}\`, then \`sextant proxy reboot -h ${host}\`.`,
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `proxy reboot`: per group (every proxy host, or one host at a time with `rolling`): the
 * pre-proxy-reboot hook, then stop, remove and run the proxy again with the current boot settings,
 * wait until it serves, and the post-proxy-reboot hook. Routes come back from the proxy's state volume.
 */
export async function proxyReboot(run: Run, options: { rolling?: boolean } = {}): Promise<void> {
  const { session, config } = run;
  const hosts = proxyHosts(run, "proxy reboot");
  await withLock(run, async () => {
    const own = await ownImageHosts(run, hosts);
    await ensureProxyImage(session, own);
    await loginOnHosts(
      run,
      hosts.filter((h) => !own.includes(h)),
    );
    const groups = options.rolling ? hosts.map((h) => [h]) : [hosts];
    for (const group of groups) {
      await run.hook("pre-proxy-reboot", { hosts: group });
      await session.step(`Reboot the proxy on ${group.join(", ")}`, () =>
        session.onHosts(group, "proxy rebooted", async (host) => {
          await run.audit(host, "Rebooted proxy");
          await session.tryExec(host, render(proxy.stop()));
          await session.exec(host, render(proxy.removeContainer()));
          await session.exec(host, render(proxy.ensureAppsConfigDirectory(config.runDirectory)));
          await session.exec(host, render(proxy.run(config.runDirectory, proxyRunFor(run, host), OWN_PROXY_DEFAULTS)));
          await waitForProxy(run, host);
        }),
      );
      await run.hook("post-proxy-reboot", { hosts: group });
    }
  });
}

export async function proxyStart(run: Run): Promise<void> {
  await withLock(run, () =>
    run.session.onHosts(proxyHosts(run, "proxy start"), "proxy started", async (host) => {
      await run.audit(host, "Started proxy");
      const result = await run.session.tryExec(host, render(proxy.start()));
      if (result.code !== 0) {
        throw new SextantError(`cannot start the proxy on ${host}: ${result.stderr.trim()}`, { hint: "If it was removed, run `sextant proxy boot`." });
      }
      await waitForProxy(run, host);
    }),
  );
}

export async function proxyStop(run: Run): Promise<void> {
  await withLock(run, () =>
    run.session.onHosts(proxyHosts(run, "proxy stop"), "proxy stopped", async (host) => {
      await run.audit(host, "Stopped proxy");
      await run.session.tryExec(host, render(proxy.stop()));
    }),
  );
}

export async function proxyRestart(run: Run): Promise<void> {
  await withLock(run, async () => {
    await proxyStop(run);
    await proxyStart(run);
  });
}

export function proxyDetails(run: Run, options: ListingOptions = {}): Promise<HostOutput[]> {
  return onEachHost(run, proxyHosts(run, "proxy details"), "proxy details", () => listing(proxy.info(), options));
}

export interface ProxyLogsOptions extends proxy.ProxyLogsOptions {
  follow?: boolean;
}

export async function proxyLogs(run: Run, options: ProxyLogsOptions): Promise<HostOutput[] | number> {
  const hosts = proxyHosts(run, "proxy logs");
  if (options.follow) {
    const host = hosts[0]!;
    run.session.emit({ type: "info", message: `Following logs on ${host}...` });
    return runInteractive(run, host, proxy.followLogs({ grep: options.grep, timestamps: options.timestamps }));
  }
  const lines = options.lines ?? (options.since !== undefined || options.grep !== undefined ? undefined : 100);
  return onEachHost(run, hosts, "proxy logs read", () => proxy.logs({ ...options, lines }));
}

/** The apps (service[-destination] directories) installed on a host. */
async function installedApps(run: Run, host: string): Promise<string[]> {
  const result = await run.session.tryExec(host, render(server.listAppDirectories(run.config)));
  return result.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * `proxy remove`: stop and remove the proxy container, its image and `.kamal/proxy`; refused while
 * any app (this one included) is installed on a host, unless forced.
 */
export async function proxyRemove(run: Run, options: { force?: boolean } = {}): Promise<void> {
  const { session, config } = run;
  const hosts = proxyHosts(run, "proxy remove");
  await withLock(run, async () => {
    const inUse: string[] = [];
    await session.onHosts(hosts, "apps checked", async (host) => {
      const apps = await installedApps(run, host);
      if (apps.length > 0) inUse.push(`${host} (${apps.join(", ")})`);
    });
    inUse.sort((a, b) => hosts.indexOf(a.split(" ")[0]!) - hosts.indexOf(b.split(" ")[0]!));
    if (inUse.length > 0) {
      if (!options.force) {
        throw new SextantError(`Not removing the proxy, as other apps are installed on ${inUse.join("; ")}`, {
          hint: "Remove those apps first (`sextant remove` in each app's project), or run `sextant proxy remove --force` to remove the proxy anyway.",
        });
      }
      session.emit({ type: "warn", message: "Forcing, so removing the proxy, even though other apps are installed" });
    }
    await session.onHosts(hosts, "proxy removed", async (host) => {
      await run.audit(host, "Stopped proxy");
      await session.tryExec(host, render(proxy.stop()));
      await run.audit(host, "Removed proxy container");
      await session.tryExec(host, render(proxy.removeContainer()));
      await run.audit(host, "Removed proxy image");
      await session.tryExec(host, render(proxy.removeImage()));
      await session.tryExec(host, render(proxy.removeProxyDirectory(config.runDirectory)));
    });
  });
}

/**
 * `proxy upgrade` (Kamal 1 → 2): per group, remove Traefik and the old proxy, boot the proxy and the
 * app (the version tagged latest), prune; between the pre- and post-proxy-reboot hooks.
 */
export async function proxyUpgrade(run: Run, options: { rolling?: boolean } = {}): Promise<void> {
  const { session } = run;
  const hosts = run.selection.hosts;
  await withLock(run, async () => {
    const groups = options.rolling ? hosts.map((h) => [h]) : [hosts];
    for (const group of groups) {
      await run.hook("pre-proxy-reboot", { hosts: group });
      const groupProxyHosts = run.selection.proxyHosts.filter((h) => group.includes(h));
      await session.step(`Replace Traefik and the proxy on ${group.join(", ")}`, () =>
        session.onHosts(group, "old proxy removed", async (host) => {
          await session.tryExec(host, render(proxy.cleanupTraefik()));
          if (groupProxyHosts.includes(host)) {
            await session.tryExec(host, render(proxy.stop()));
            await session.tryExec(host, render(proxy.removeContainer()));
            await session.tryExec(host, render(proxy.removeImage()));
          }
        }),
      );
      await session.step("Boot the proxy", () => bootProxy(run, { hosts: group, proxyHosts: groupProxyHosts }));
      const appHosts = run.selection.appHosts.filter((h) => group.includes(h));
      if (appHosts.length > 0) await session.step(`Boot ${run.config.service} ${run.config.version}`, () => bootApp(run, { hosts: appHosts }));
      await session.step("Prune old containers and images", () => pruneAll(run, group));
      await run.hook("post-proxy-reboot", { hosts: group });
    }
  });
}

// ---- boot config (legacy files) ---------------------------------------------------------------

function warnIfRunConfig(run: Run, hosts: readonly string[]): void {
  const overridden = hosts.filter((h) => proxyRunFor(run, h) !== undefined);
  if (overridden.length > 0) {
    run.session.emit({ type: "warn", message: `proxy.run in the config applies on ${overridden.join(", ")}: the boot config files are not used there` });
  }
}

/** `proxy boot_config set`: write the files whose values differ from the defaults, remove the others. */
export async function bootConfigSet(run: Run, options: BootConfigOptions): Promise<void> {
  const { session, config } = run;
  const hosts = proxyHosts(run, "proxy boot_config set");
  const files = bootConfigFiles(options);
  // sextant's default image is its own, not basecamp/kamal-proxy:v0.9.2: a registry image named
  // on the command line is written out even where it equals Kamal's default.
  if (options.registry !== undefined || options.repository !== undefined) {
    files.image ??= [options.registry, options.repository ?? proxy.PROXY_IMAGE_DEFAULT].filter((p) => p !== undefined && p !== "").join("/");
    files.imageVersion ??= options.imageVersion ?? proxy.PROXY_MINIMUM_VERSION;
  }
  if (options.imageVersion !== undefined) files.imageVersion ??= options.imageVersion;
  const paths = bootFilePaths(config.runDirectory);
  const keys = Object.keys(paths) as (keyof BootConfigFiles)[];
  warnIfRunConfig(run, hosts);
  await session.onHosts(hosts, "boot config written", async (host) => {
    await session.exec(host, render(proxy.ensureProxyDirectory(config.runDirectory)));
    const ssh = await session.connection(host);
    for (const key of keys) {
      const content = files[key];
      if (content === undefined) await session.exec(host, render(removeBootFiles(config.runDirectory, [key])));
      else await ssh.upload(content, paths[key]);
    }
  });
  session.emit({ type: "info", message: "Run `sextant proxy reboot` to restart the proxy with these settings." });
}

/** `proxy boot_config get`: the proxy's `docker run` arguments as the files give them, per host. */
export async function bootConfigGet(run: Run): Promise<HostOutput[]> {
  const hosts = proxyHosts(run, "proxy boot_config get");
  warnIfRunConfig(run, hosts);
  return onEachHost(run, hosts, "boot config read", () => proxy.bootConfig(run.config.runDirectory, OWN_PROXY_DEFAULTS));
}

/** `proxy boot_config reset`: remove the files, so the defaults apply at the next reboot. */
export async function bootConfigReset(run: Run): Promise<void> {
  const hosts = proxyHosts(run, "proxy boot_config reset");
  await run.session.onHosts(hosts, "boot config reset", (host) => run.session.exec(host, render(removeBootFiles(run.config.runDirectory))).then(() => undefined));
}
