/** `server bootstrap`: Docker on every host (installed when missing and we may), the app directory. */
import * as server from "../commands/server.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import type { Run } from "./run.ts";

/**
 * `options.alwaysRunHook`: run docker-setup at the end even when Docker was already everywhere (as
 * `server bootstrap` does in Kamal); by default it runs only after an install.
 */
export async function bootstrapServers(run: Run, hosts: readonly string[] = run.selection.hosts, options: { alwaysRunHook?: boolean } = {}): Promise<void> {
  const { session } = run;
  const missing: string[] = [];
  await session.onHosts(hosts, "docker present", async (host) => {
    const installed = await session.tryExec(host, render(server.dockerInstalled()));
    if (installed.code === 0) return;
    const root = await session.tryExec(host, render(server.superuser()));
    if (root.code !== 0) {
      throw new SextantError(`Docker is not installed on ${host}, and the SSH user cannot install it`, {
        hint: "Install Docker there yourself, or connect as a user with root or passwordless sudo.",
      });
    }
    session.emit({ type: "info", message: `Installing Docker on ${host}...` });
    await session.exec(host, render(server.installDocker()));
    missing.push(host);
  });
  await session.onHosts(hosts, "app directory", (host) => session.exec(host, render(server.ensureAppDirectory(run.config))).then(() => undefined));
  if (missing.length > 0 || options.alwaysRunHook) await run.hook("docker-setup");
}
