/**
 * `sextant rollback` without a version: the versions whose containers are still on the servers,
 * newest first, so the CLI can offer them (on a terminal) or take the previous one.
 */
import { appCommands } from "../commands/app.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import type { Run } from "./run.ts";

export interface RollbackCandidates {
  /** The version running on the primary host (primary role). */
  current?: string;
  /** Other versions with a container on every selected app host, newest first. */
  versions: string[];
}

export async function rollbackCandidates(run: Run): Promise<RollbackCandidates> {
  const { session, config } = run;
  const hosts = run.selection.appHosts;
  if (hosts.length === 0) throw new SextantError("No app hosts selected", { hint: "Check --hosts/--roles." });
  const primaryHost = run.selection.primaryHost && hosts.includes(run.selection.primaryHost) ? run.selection.primaryHost : hosts[0]!;
  const perHost = new Map<string, string[][]>();
  let current: string | undefined;
  await session.onHosts(hosts, "versions listed", async (host) => {
    const lists: string[][] = [];
    for (const role of run.selection.rolesOn(host)) {
      const app = appCommands(config, role, host);
      // docker ps lists the newest container first.
      const versions = (await session.tryExec(host, render(app.listVersions(["--all"])))).stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      lists.push(versions.filter((v) => !v.includes("_replaced_")));
      if (host === primaryHost && role.name === run.selection.rolesOn(host)[0]?.name) {
        current = (await session.tryExec(host, render(app.currentRunningVersion()))).stdout.trim() || undefined;
      }
    }
    perHost.set(host, lists);
  });
  const primaryList = perHost.get(primaryHost)?.[0] ?? [];
  const everywhere = (v: string) => [...perHost.values()].every((lists) => lists.every((l) => l.includes(v)));
  const versions = [...new Set(primaryList)].filter((v) => v !== current && everywhere(v));
  return { current, versions };
}
