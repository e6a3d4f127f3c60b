/**
 * `proxy.basic_auth` on the servers: the credentials reach kamal-proxy as a file (`user:password`,
 * 0600, owned by the proxy's user) that the proxy's deploy client reads — never a command line a
 * `ps` could show — and the file is deleted again once the deploys are done. The proxy keeps only
 * the password's hash.
 */
import { giveToProxyUser } from "../commands/proxy.ts";
import { makeDirectory, removeTree, render } from "../commands/shell.ts";
import type { Role } from "../config/model.ts";
import { SextantError } from "../errors.ts";
import type { Run } from "./run.ts";

const directory = (run: Run) => `${run.config.proxyAppConfigDirectory}/basic_auth`;

/** `user:password` from the secrets: the username may be a secret's name or the name itself. */
export function credentials(run: Run, names: { username: string; password: string }): string {
  const secrets = run.config.secrets;
  if (!secrets.has(names.password)) {
    throw new SextantError(`proxy.basic_auth.password: ${names.password} is not a secret`, {
      hint: `Add ${names.password}=... to ${secrets.primaryFile} (a password never goes in deploy.yml).`,
    });
  }
  const password = run.session.secret(names.password).reveal();
  const username = secrets.has(names.username) ? run.session.secret(names.username).reveal() : names.username;
  if (username.includes(":")) throw new SextantError("proxy.basic_auth.username cannot contain a colon");
  return `${username}:${password}`;
}

const rolesWithAuth = (run: Run, host: string): Role[] => run.selection.rolesOn(host).filter((r) => r.runningProxy && r.proxy?.basicAuth);

/** Write the credential files on `hosts`, run `fn`, then delete them whatever happened. */
export async function withBasicAuthFiles<T>(run: Run, hosts: readonly string[], fn: () => Promise<T>): Promise<T> {
  const { session } = run;
  const busy = hosts.filter((h) => rolesWithAuth(run, h).length > 0);
  if (busy.length === 0) return fn();
  await session.onHosts(busy, "basic auth credentials written", async (host) => {
    await session.exec(host, render(makeDirectory(directory(run))));
    const ssh = await session.connection(host);
    for (const role of rolesWithAuth(run, host)) {
      const file = `${directory(run)}/${role.name}`;
      await ssh.upload(`${credentials(run, role.proxy!.basicAuth!)}\n`, file, { mode: 0o600 });
      await session.tryExec(host, render(giveToProxyUser([file])));
    }
  });
  try {
    return await fn();
  } finally {
    await session.onHosts(busy, "basic auth credentials removed", (host) => session.tryExec(host, render(removeTree(directory(run)))).then(() => undefined)).catch(() => undefined);
  }
}
