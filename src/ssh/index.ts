/**
 * The SSH layer: a pool of one connection per host, commands multiplexed over it, uploads over
 * SFTP, host keys checked against known_hosts, ~/.ssh/config honoured.
 *
 *   const pool = new SshPool(settings, { onEvent, redact });   // settings: see ConnectionSettings
 *   try {
 *     await pool.onHosts(hosts, (ssh) => ssh.exec(["docker", "info"]), { limit: 10 });
 *   } finally {
 *     await pool.closeAll();
 *   }
 */

export type { ExecOptions, ExecResult, HostConnection } from "./connection.ts";
export { SshCommandError, SshConnectError, SshHostKeyError, SshMultiHostError, SshTimeoutError } from "./errors.ts";
export type { SshEvent } from "./events.ts";
export type { ConnectionSettings } from "./options.ts";
export { forEachHost, SshPool } from "./pool.ts";
