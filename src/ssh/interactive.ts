/**
 * The system ssh command line Kamal uses for interactive sessions (`app exec -i`, `logs -f`,
 * `accessory exec -i`...): sextant hands the terminal to the real ssh client for those.
 *   ssh[ -F FILE…| -F /dev/null][ -J USER@JUMP | -o ProxyCommand='CMD'][ -i KEY…][ -o IdentitiesOnly=yes] -t USER@HOST -p PORT 'COMMAND'
 */
import type { KamalSshSection } from "./options.ts";

/** The parts, in order, shared by the string and argv forms. */
function parts(ssh: KamalSshSection, host: string): { options: string[][]; target: string; port: string } {
  const options: string[][] = [];
  if (ssh.config === false) options.push(["-F", "/dev/null"]);
  else if (typeof ssh.config === "string") options.push(["-F", ssh.config]);
  else if (Array.isArray(ssh.config)) for (const f of ssh.config) options.push(["-F", f]);
  if (ssh.proxy) options.push(["-J", ssh.proxy.includes("@") ? ssh.proxy : `root@${ssh.proxy}`]);
  else if (ssh.proxy_command) options.push(["-o", `ProxyCommand=${ssh.proxy_command}`]);
  for (const key of ssh.keys ?? []) options.push(["-i", key]);
  if (ssh.keys_only) options.push(["-o", "IdentitiesOnly=yes"]);
  return { options, target: `${ssh.user ?? "root"}@${host}`, port: String(ssh.port ?? 22) };
}

/** Kamal's exact command string (for display and for running through a local shell). */
export function interactiveSshCommand(ssh: KamalSshSection, host: string, command: string): string {
  const { options, target, port } = parts(ssh, host);
  const rendered = options.map(([flag, value]) => (flag === "-o" && value!.startsWith("ProxyCommand=") ? ` -o ProxyCommand='${value!.slice(13)}'` : ` ${flag} ${value}`)).join("");
  return `ssh${rendered} -t ${target} -p ${port} '${command.replaceAll("'", `'\\''`)}'`;
}

/** The same as an argument vector for spawning ssh directly (~/ in paths expanded with `home`). */
export function interactiveSshArgv(ssh: KamalSshSection, host: string, command: string, home: string): string[] {
  const expand = (p: string) => (p === "~" || p.startsWith("~/") ? home + p.slice(1) : p);
  const { options, target, port } = parts(ssh, host);
  return ["ssh", ...options.flatMap(([flag, value]) => [flag!, flag === "-o" ? value! : expand(value!)]), "-t", target, "-p", port, command];
}
