/**
 * Proxy boot (Kamal's `proxy boot`): the `kamal` network on every selected host, then on proxy hosts the
 * kamal-proxy container — started if it exists, else run. By default its image is sextant itself
 * (loaded over SSH when missing); `proxy.run` with a repository, or the boot-config image file,
 * select a registry image such as basecamp/kamal-proxy instead.
 */

import * as proxy from "../commands/proxy.ts";
import { render, silenced } from "../commands/shell.ts";
import type { ProxyRunSettings } from "../config/proxy-model.ts";
import { SextantError } from "../errors.ts";
import { ensureProxyImage, SEXTANT_PROXY_IMAGE, SEXTANT_PROXY_REPOSITORY, SEXTANT_PROXY_TAG } from "./proxy-image.ts";
import { loginOnHosts } from "./registry.ts";
import type { Run } from "./run.ts";

/** The proxy.run config that applies on a host (a proxy role's, or a proxied accessory's). */
export function proxyRunFor(run: Run, host: string): ProxyRunSettings | undefined {
  const fromRole = run.config.rolesOnHost(host).find((r) => r.runningProxy && r.proxy?.run)?.proxy?.run;
  const fromAccessory = run.config.accessoriesOnHost(host).find((a) => a.runningProxy && a.proxy?.run)?.proxy?.run;
  const settings = fromRole ?? fromAccessory;
  if (!settings) return undefined;
  // Without a repository the image is sextant's own proxy, not basecamp/kamal-proxy.
  return settings.imageUnset ? { ...settings, repository: SEXTANT_PROXY_REPOSITORY, version: SEXTANT_PROXY_TAG, image: SEXTANT_PROXY_IMAGE } : settings;
}

export const OWN_PROXY_DEFAULTS = { image: SEXTANT_PROXY_REPOSITORY, version: SEXTANT_PROXY_TAG } as const;

/** Does booting the proxy on this host need sextant's own image? (Its container may exist already.) */
export async function needsOwnImage(run: Run, host: string): Promise<boolean> {
  const runConfig = proxyRunFor(run, host);
  if (runConfig) return runConfig.image === SEXTANT_PROXY_IMAGE;
  const probe = await run.session.tryExec(host, render(proxy.imageOrBootFilesImage(run.config.runDirectory, OWN_PROXY_DEFAULTS)));
  return probe.stdout.trim() === SEXTANT_PROXY_IMAGE;
}

/**
 * Kamal refuses to deploy behind a kamal-proxy older than its minimum (v0.9.2): older ones lack
 * commands and flags Kamal sends. Only an existing container is checked — `proxy reboot` replaces it
 * — and sextant's own proxy image, versioned with sextant itself, always speaks the protocol.
 */
async function checkProxyVersions(run: Run, hosts: readonly string[]): Promise<void> {
  const session = run.session;
  const tooOld: string[] = [];
  await session.onHosts(hosts, "proxy version checked", async (host) => {
    const image = (await session.tryExec(host, render(silenced(proxy.containerImage())))).stdout.trim();
    if (!image || image.startsWith(`${SEXTANT_PROXY_REPOSITORY}:`)) return;
    const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "latest";
    if (proxy.olderProxyVersion(tag)) tooOld.push(`${host} (${tag})`);
  });
  if (tooOld.length > 0) {
    const first = tooOld[0]!.replace(/^.* \((.*)\)$/, "$1");
    throw new SextantError(
      `kamal-proxy version ${first} is too old, run \`sextant proxy reboot\` in order to update to at least ${proxy.PROXY_MINIMUM_VERSION}` +
        (tooOld.length > 1 || hosts.length > 1 ? ` (on ${tooOld.join(", ")})` : ""),
      { hint: "`sextant proxy reboot` replaces the proxy container (a second or so without the proxy on each host; --rolling does one host at a time)." },
    );
  }
}

export async function bootProxy(run: Run, options: { hosts?: readonly string[]; proxyHosts?: readonly string[] } = {}): Promise<void> {
  const session = run.session;
  const hosts = options.hosts ?? run.selection.hosts;
  const proxyHosts = options.proxyHosts ?? run.selection.proxyHosts;
  await session.onHosts(hosts, "network kamal", async (host) => {
    const result = await session.tryExec(host, render(proxy.createNetwork()));
    if (result.code !== 0 && !/already exists/.test(result.stderr)) {
      throw new SextantError(`cannot create the kamal network on ${host}: ${result.stderr.trim()}`, { hint: "Is Docker running there? (sextant server bootstrap)" });
    }
  });
  if (proxyHosts.length === 0) return;
  await checkProxyVersions(run, proxyHosts);
  const own: string[] = [];
  for (const host of proxyHosts) if (await needsOwnImage(run, host)) own.push(host);
  await ensureProxyImage(session, own);
  const registryHosts = proxyHosts.filter((h) => !own.includes(h));
  await loginOnHosts(run, registryHosts);
  await session.onHosts(proxyHosts, "proxy running", async (host) => {
    await session.exec(host, render(proxy.ensureAppsConfigDirectory(run.config.runDirectory)));
    await session.exec(host, render(proxy.startOrRun(run.config.runDirectory, proxyRunFor(run, host), OWN_PROXY_DEFAULTS)));
  });
}
