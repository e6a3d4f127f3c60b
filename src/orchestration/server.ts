/** `server bootstrap`: Docker on every host (installed when missing and we may), the app directory. */
import * as server from "../commands/server.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import type { Run } from "./run.ts";

export async function bootstrapServers(run: Run, hosts: readonly string[] = run.selection.hosts): Promise<void> {
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
  if (missing.length > 0) await run.hook("docker-setup");
}
