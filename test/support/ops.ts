/**
 * Helpers for the end-to-end tests of the day-to-day commands: a deploy.yml for a service on the
 * bed, a page that names its version, what a host serves for a Host name, and running sextant
 * inside a pseudo-terminal (util-linux `script`), for the commands that need a TTY.
 */
import { expect } from "bun:test";
import { spawn } from "node:child_process";
import type { Project } from "./project.ts";
import { type RunResult, run, sextantBinary, type Testbed } from "./testbed.ts";

export interface ServiceYmlOptions {
  service: string;
  /** role name → hosts (the first role is the primary one). */
  roles: Record<string, string[]>;
  /** Roles without the proxy (a worker loop instead of httpd). */
  workers?: string[];
  proxyHost?: string;
  extra?: string;
}

/** The bed's registry as a deploy.yml section; the password comes from `.kamal/secrets` (see SECRETS). */
export function registryYml(bed: Testbed): string {
  return `registry:\n  server: ${bed.registry}\n  username: ${bed.registryUser}\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n`;
}

/** SSH through the OpenSSH config that makeProject writes for the bed (its key and known_hosts). */
export const SSH_YML = 'ssh:\n  user: root\n  config: <%= ENV.fetch("DEMO_SSH_CONFIG") %>\n';

export function serviceYml(bed: Testbed, o: ServiceYmlOptions): string {
  const roles = Object.entries(o.roles)
    .map(([name, hosts]) => {
      const worker = o.workers?.includes(name);
      return [`  ${name}:`, "    hosts:", ...hosts.map((h) => `      - ${h}`), ...(worker ? ["    proxy: false", `    cmd: /bin/busybox sh -c "trap 'exit 0' TERM; while true; do sleep 1; done"`] : [])].join("\n");
    })
    .join("\n");
  return `
service: ${o.service}
image: e2e/${o.service}
servers:
${roles}
proxy:
  app_port: 80
${o.proxyHost ? `  host: ${o.proxyHost}\n` : ""}  healthcheck:
    path: /up
    interval: 1
${registryYml(bed)}builder:
  arch: amd64
${SSH_YML}deploy_timeout: 10
drain_timeout: 1
readiness_delay: 0
${o.extra ?? ""}
`;
}

export const SECRETS = "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\n";

export function page(service: string, version: string): string {
  return `<html><body>${service} <b id="version">${version}</b></body></html>\n`;
}

/** Commit a new page version; returns the git version (the app version sextant deploys). */
export async function release(project: Project, service: string, label: string): Promise<string> {
  project.write("www/index.html", page(service, label));
  return project.commit(label);
}

/** The version label a host serves (through its proxy) for a Host name, or the status when not 200. */
export async function served(host: string, hostName?: string, port = 80): Promise<string> {
  const result = await run(["curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", ...(hostName ? ["-H", `Host: ${hostName}`] : []), `http://${host}:${port}/`], { timeoutMs: 10_000 });
  const [body, code] = [result.stdout.slice(0, result.stdout.lastIndexOf("\n")), result.stdout.slice(result.stdout.lastIndexOf("\n") + 1)];
  if (code !== "200") return `status ${code}`;
  return body.match(/id="version">([^<]+)</)?.[1] ?? body;
}

/** Run sextant in the project with a terminal (a pseudo-terminal from `script`), feeding `input` slowly. */
export async function sextantInTerminal(project: Project, args: string[], input = "", options: { interruptAfterSeconds?: number } = {}): Promise<RunResult> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  // Commands that run until interrupted (logs -f) get a Ctrl-C (SIGINT) after a while.
  const interrupt = options.interruptAfterSeconds === undefined ? "" : `timeout --foreground -s INT ${options.interruptAfterSeconds} `;
  // A terminal of a usual size (a pseudo-terminal starts at 0x0, which prompts render badly in).
  const command = `stty cols 160 rows 40; ${interrupt}${[sextantBinary(), ...args].map(quote).join(" ")}`;
  // `script` gives the command a pseudo-terminal; its stdin is fed from ours after a pause.
  const feeder = input ? `sleep 3; printf ${quote(input)}; sleep 2` : "sleep 1";
  return run(["sh", "-c", `(${feeder}) | script -qec ${quote(command)} /dev/null`], {
    cwd: project.dir,
    env: project.env,
    timeoutMs: 120_000,
  });
}

/** Expect a command to have succeeded, showing its output when not. */
export function ok(result: RunResult): RunResult {
  if (result.code !== 0) expect(`${result.stdout}\n${result.stderr}`).toBe("(exit 0)");
  return result;
}

/**
 * A proxy image cache of this bed's own: test runs on other beds of the same machine build the
 * image archive at the same time, and must not share its work files.
 */
export function isolateCache(project: Project, bed: Testbed): void {
  project.env.XDG_CACHE_HOME = `${project.env.XDG_CACHE_HOME}-${bed.name}`;
}

/** Read a host's process list every 50 ms (for at most 60 s) until stopped; returns all it saw. */
export function watchProcessLists(bed: Testbed, host: string): { stop(): string } {
  const watcher = spawn(
    "ssh",
    ["-i", bed.sshKey, "-o", `UserKnownHostsFile=${bed.knownHosts}`, "-o", "BatchMode=yes", `root@${host}`, "end=$(($(date +%s)+60)); while [ $(date +%s) -lt $end ]; do ps -eo args; sleep 0.05; done"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let seen = "";
  watcher.stdout.on("data", (d: Buffer) => (seen += d.toString()));
  return {
    stop() {
      watcher.kill();
      return seen;
    },
  };
}
