/**
 * Registry logins, locally (before a push) and on servers (before a pull). The password is given on
 * stdin, so it never appears in a process list, a log or a shell history.
 */
import { loginWithStdin } from "../commands/classic-build.ts";
import { logout } from "../commands/registry.ts";
import { render } from "../commands/shell.ts";
import type { RegistrySettings } from "../config/registry-model.ts";
import { SextantError } from "../errors.ts";
import { runLocal } from "./local.ts";
import type { Run } from "./run.ts";

function credentials(run: Run, registry: RegistrySettings): { username: string; password: string } | undefined {
  if (registry.local) return undefined;
  const username = registry.resolveUsername(run.config.secrets);
  const password = registry.resolvePassword(run.config.secrets);
  if (username === undefined || password === undefined) return undefined;
  run.session.protect([password]);
  return { username, password: password.reveal() };
}

export async function loginLocally(run: Run, registry: RegistrySettings = run.config.registry): Promise<void> {
  const creds = credentials(run, registry);
  if (!creds) return;
  const argv = ["sh", "-c", render(loginWithStdin(registry.server, creds.username))];
  await runLocal(argv, {
    cwd: run.config.cwd,
    stdin: creds.password,
    reporter: run.reporter,
    redact: (t) => run.session.redact(t),
    display: render(loginWithStdin(registry.server, creds.username)),
  }).catch((error) => {
    throw new SextantError(`docker login to ${registry.server ?? "Docker Hub"} failed on this machine`, {
      hint: "Check registry.username and the password secret (sextant secrets print shows what is loaded).",
      cause: error,
    });
  });
}

export async function loginOnHosts(run: Run, hosts: readonly string[], registry: RegistrySettings = run.config.registry): Promise<void> {
  const creds = credentials(run, registry);
  if (!creds || hosts.length === 0) return;
  await run.session.onHosts(hosts, `registry login ${registry.server ?? "Docker Hub"}`, async (host) => {
    await run.session.exec(host, render(loginWithStdin(registry.server, creds.username)), { stdin: creds.password });
  });
}

export async function logoutOnHosts(run: Run, hosts: readonly string[], registry: RegistrySettings = run.config.registry): Promise<void> {
  if (registry.local || hosts.length === 0) return;
  await run.session.onHosts(hosts, "registry logout", (host) => run.session.tryExec(host, render(logout(registry.server))).then(() => undefined));
}
