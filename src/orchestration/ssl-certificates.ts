/**
 * Custom TLS certificates (Kamal's app/ssl_certificates.rb; written during app boot's preparation): for every proxy
 * role with `proxy.ssl: { certificate_pem, private_key_pem }`, the two PEMs are read from the secrets
 * and written to `.kamal/proxy/apps-config/SVC[-DEST]/tls/ROLE/{cert,key}.pem` before any container
 * starts; `kamal-proxy deploy` then names them by their path inside the proxy container.
 *
 * Kamal writes both files 0644. Here they are 0600 and handed to the proxy container's user (uid
 * 1000 in sextant's image and in basecamp/kamal-proxy), so only the proxy can read the key. The
 * chown needs root (Kamal's default SSH user); a user who is uid 1000 already owns the files, and for
 * any other user the chown is skipped and the proxy cannot read them: such setups must make the files
 * readable themselves.
 */
import { appCommands } from "../commands/app.ts";
import { giveToProxyUser } from "../commands/proxy.ts";
import { render } from "../commands/shell.ts";
import type { Run } from "./run.ts";

/** Write two PEMs from the secrets to `dir` on `host`, 0600 and owned by the proxy's user. */
export async function writeCertificate(run: Run, host: string, names: { certificatePem: string; privateKeyPem: string }, dir: string): Promise<void> {
  const { config, session } = run;
  const keySecret = config.secret(names.privateKeyPem);
  const cert = config.secret(names.certificatePem).reveal();
  const key = keySecret.reveal();
  session.protect([keySecret]);
  const ssh = await session.connection(host);
  await ssh.upload(cert, `${dir}/cert.pem`, { mode: 0o600 });
  await ssh.upload(key, `${dir}/key.pem`, { mode: 0o600 });
  await session.tryExec(host, render(giveToProxyUser([`${dir}/cert.pem`, `${dir}/key.pem`])));
}

export async function uploadSslCertificates(run: Run, hosts: readonly string[]): Promise<void> {
  const { config, session } = run;
  const work = hosts.flatMap((host) =>
    run.selection
      .rolesOn(host)
      .filter((role) => role.runningProxy && role.proxy?.sslCertificate)
      .map((role) => ({ host, role })),
  );
  if (work.length === 0) return;
  const byHost = new Map<string, typeof work>();
  for (const w of work) byHost.set(w.host, [...(byHost.get(w.host) ?? []), w]);
  await session.onHosts([...byHost.keys()], "SSL certificates written", async (host) => {
    for (const { role } of byHost.get(host)!) {
      session.emit({ type: "info", message: `Writing SSL certificates for ${role.name} on ${host}` });
      await session.exec(host, render(appCommands(config, role, host).ensureTlsDirectory()));
      await writeCertificate(run, host, role.proxy!.sslCertificate!, `${config.proxyAppConfigDirectory}/tls/${role.name}`);
    }
  });
}
