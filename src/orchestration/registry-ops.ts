/**
 * `registry setup|remove|login|logout`: log in or out locally and on the servers, or, with a local
 * registry (`registry.server: localhost:PORT`), start or remove its container on this machine.
 */
import { logout } from "../commands/registry.ts";
import { UsageError } from "../errors.ts";
import { local } from "./local-docker.ts";
import { ensureLocalRegistry, removeLocalRegistry } from "./local-registry.ts";
import { loginLocally, loginOnHosts, logoutOnHosts } from "./registry.ts";
import type { Run } from "./run.ts";

/** `--skip-local` / `--skip-remote`. */
export interface RegistrySides {
  skipLocal?: boolean;
  skipRemote?: boolean;
}

export async function registrySetup(run: Run, sides: RegistrySides): Promise<void> {
  if (run.config.registry.local) {
    if (!sides.skipLocal) await run.session.step("Start the local registry", () => ensureLocalRegistry(run));
    return;
  }
  if (!sides.skipLocal) await run.session.step("Log in locally", () => loginLocally(run));
  if (!sides.skipRemote) await run.session.step("Log in on the servers", () => loginOnHosts(run, run.selection.hosts));
}

export async function registryRemove(run: Run, sides: RegistrySides): Promise<void> {
  if (run.config.registry.local) {
    if (!sides.skipLocal) await run.session.step("Remove the local registry", () => removeLocalRegistry(run));
    return;
  }
  if (!sides.skipLocal) {
    await run.session.step("Log out locally", () => local(run, logout(run.config.registry.server), { allowFailure: true }).then(() => undefined));
  }
  if (!sides.skipRemote) await run.session.step("Log out on the servers", () => logoutOnHosts(run, run.selection.hosts));
}

/** `registry login` / `logout` have nothing to do with a local registry: say which command does. */
export function refuseLocalRegistry(run: Run, command: "login" | "logout"): void {
  if (run.config.registry.local) {
    const instead = command === "login" ? "setup" : "remove";
    throw new UsageError(`Cannot use ${command} command with a local registry. Use \`sextant registry ${instead}\` instead.`);
  }
}
