/**
 * What app boot puts on every host before any new container starts (Kamal's app/error_pages.rb
 * and app/assets.rb), and what it tidies after the old container stopped:
 *
 * - error pages (`error_pages_path`): the local `4xx.html`/`5xx.html` files are uploaded to
 *   `.kamal/proxy/apps-config/SVC/error_pages/V/`, the directory `kamal-proxy deploy --error-pages`
 *   names; other versions' pages are removed once the new version serves.
 * - asset bridging (`asset_path` on a proxy role): the new image's assets are copied out into
 *   `assets/extracted/ROLE-V`, then merged with the running version's into both versions' volumes,
 *   so a page of either version finds its fingerprinted files while traffic switches.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { appCommands } from "../commands/app.ts";
import { cleanUpAssets, cleanUpErrorPages, createVersionErrorPagesDirectory, extractAssets, syncAssetVolumes, versionErrorPagesDirectory } from "../commands/assets.ts";
import { render } from "../commands/shell.ts";
import type { Role } from "../config/model.ts";
import { SextantError } from "../errors.ts";
import type { CurrentVersions } from "./app-boot.ts";
import type { Run } from "./run.ts";

/** Kamal uploads only pages named by a 4xx or 5xx status. */
const ERROR_PAGE = /^[45]\d\d\.html$/;

/** The local error pages to upload (name → content); throws when `error_pages_path` has none. */
export function localErrorPages(run: Run): Map<string, string> | undefined {
  const { config } = run;
  if (config.errorPagesPath === undefined) return undefined;
  const dir = resolve(config.cwd, config.errorPagesPath);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    names = readdirSync(dir).filter((n) => ERROR_PAGE.test(n)).sort();
  } catch {
    throw new SextantError(`error_pages_path: ${config.errorPagesPath} is not a directory`, {
      hint: `Create it with pages named by status (e.g. ${config.errorPagesPath}/502.html), or remove error_pages_path from the config.`,
    });
  }
  if (names.length === 0) {
    throw new SextantError(`error_pages_path: ${config.errorPagesPath} has no 4xx.html or 5xx.html pages`, {
      hint: `Add pages named by status (e.g. 404.html, 502.html, 503.html) — the proxy needs at least one — or remove error_pages_path.`,
    });
  }
  return new Map(names.map((n) => [n, readFileSync(join(dir, n), "utf8")]));
}

/** Upload this version's error pages and extract/merge assets on `hosts` (in parallel). */
export async function prepareHosts(run: Run, hosts: readonly string[], currentVersions?: CurrentVersions): Promise<void> {
  const { config, session } = run;
  const pages = localErrorPages(run);
  const assetRoles = (host: string) => run.selection.rolesOn(host).filter((r) => r.assets);
  // The pages are the proxy's: hosts with only proxy-less roles (jobs) don't need them.
  const wantsPages = (host: string) => pages !== undefined && run.selection.rolesOn(host).some((r) => r.runningProxy);
  const busy = hosts.filter((h) => wantsPages(h) || assetRoles(h).length > 0);
  if (busy.length === 0) return;
  await session.onHosts(busy, "prepared", async (host) => {
    if (pages && wantsPages(host)) {
      const dir = versionErrorPagesDirectory(config);
      await session.exec(host, render(createVersionErrorPagesDirectory(config)));
      const ssh = await session.connection(host);
      for (const [name, content] of pages) await ssh.upload(content, `${dir}/${name}`, { mode: 0o644 });
    }
    for (const role of assetRoles(host)) {
      const old = currentVersions?.get(host)?.get(role.name) ?? (await currentVersion(run, host, role));
      await session.exec(host, render(extractAssets(config, role)));
      await session.exec(host, render(syncAssetVolumes(config, role, old === config.version ? undefined : old)));
    }
  });
}

async function currentVersion(run: Run, host: string, role: Role): Promise<string> {
  return (await run.session.tryExec(host, render(appCommands(run.config, role, host).currentRunningVersion()))).stdout.trim();
}

/** After the old container of `role` stopped: drop other versions' asset directories and error pages. */
export async function cleanUpAfterBoot(run: Run, host: string, role: Role): Promise<void> {
  const { config, session } = run;
  if (role.assets) await session.tryExec(host, render(cleanUpAssets(config, role)));
  if (config.errorPagesPath !== undefined && role.runningProxy) await session.tryExec(host, render(cleanUpErrorPages(config)));
}
