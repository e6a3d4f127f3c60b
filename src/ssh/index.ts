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
export { SshPool, forEachHost, mapLimit, type OnHostsOptions, type PoolOptions } from "./pool.ts";
export { SshHostConnection, type ExecOptions, type ExecResult, type HostConnection, type UploadOptions } from "./connection.ts";
export { connect, expandProxyCommand, JumpCache, type ConnectOptions, type SshSession } from "./connect.ts";
export { SshResolver, parseHostSpec, type ConnectionSettings, type HostKeyPolicy, type SshTarget } from "./options.ts";
export { SshCommandError, SshConnectError, SshHostKeyError, SshMultiHostError, SshTimeoutError, SshUploadError, type SshConnectReason } from "./errors.ts";
export type { SshEvent, SshObserver } from "./events.ts";
export { commandLine, shellJoin, shellQuote } from "./shell-quote.ts";
export { fingerprint } from "./known-hosts.ts";
