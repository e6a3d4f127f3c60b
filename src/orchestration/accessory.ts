/**
 * Accessories (Kamal's cli/accessory.rb and configuration/accessory.rb): long-lived services next to the app (databases, caches),
 * one container per accessory and host, never touched by deploy/redeploy. Boot uploads the files
 * (ERB rendered), creates the directories and the 0600 env file, then runs the container; proxied
 * accessories are registered with the proxy. Reboot pulls first and keeps the old container
 * (stopped, renamed) until the new one runs, so a failed reboot puts the old one back.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { type AccessoryLogsOptions, accessoryCommands, accessoryTlsDirectory } from "../commands/accessory.ts";
import { type ListingOptions, listing } from "../commands/json-format.ts";
import { docker, render } from "../commands/shell.ts";
import { renderErb } from "../config/erb.ts";
import type { Accessory } from "../config/model.ts";
import { SextantError, UsageError } from "../errors.ts";
import { loginOnHosts } from "./registry.ts";
import type { Run } from "./run.ts";
import { writeCertificate } from "./ssl-certificates.ts";

export class AccessoryError extends SextantError {}

const BUILTIN_NETWORKS = new Set(["bridge", "host", "none"]);

/** `a`, `a and b`, `a, b, and c` (Ruby's to_sentence). */
function sentence(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(", ")}, and ${items[items.length - 1]}`;
}

/** The accessories NAME names (`all` = every accessory). */
export function accessoriesNamed(run: Run, name: string): Accessory[] {
  const all = run.config.accessories;
  if (name === "all") {
    if (all.length === 0) throw new UsageError("No accessories are configured", { hint: "Add an `accessories:` section to the deploy config." });
    return all;
  }
  const found = run.config.accessory(name);
  if (!found) {
    throw new UsageError(`No accessory by the name of '${name}'${all.length > 0 ? ` (options: ${sentence(all.map((a) => a.name))})` : ""}`, {
      hint: all.length > 0 ? undefined : "No accessories are configured.",
    });
  }
  return [found];
}

/** The accessory's hosts among the selected hosts (--hosts / --roles narrow them). */
export function accessoryHosts(run: Run, accessory: Accessory): string[] {
  return accessory.hosts.filter((h) => run.selection.hosts.includes(h));
}

function commandsFor(run: Run, accessory: Accessory) {
  return accessoryCommands(run.config, accessory);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim();
}

function stderrOf(result: { stderr: string; stdout: string }): string {
  return (result.stderr || result.stdout).trim();
}

/** Local files (ERB rendered) and the env file, computed before any server is touched. */
interface PreparedUploads {
  files: { remote: string; content: string; mode?: string; owner?: string }[];
  envFile: string;
}

function prepareUploads(run: Run, accessory: Accessory): PreparedUploads {
  const secrets = accessory.env.secretValues();
  run.session.protect(Object.values(secrets));
  const envFile = accessory.env.envFileContent();
  const files = accessory.files.map((file) => {
    if (!existsSync(file.localPath)) {
      throw new AccessoryError(`Missing file: ${file.local} (accessory ${accessory.name})`, { hint: "Paths in accessories.*.files are relative to the project directory." });
    }
    let content = readFileSync(file.localPath, "utf8");
    if (file.erb) {
      const env: Record<string, string | undefined> = { ...process.env, ...accessory.env.clear };
      for (const [k, s] of Object.entries(secrets)) env[k] = s.reveal();
      try {
        content = renderErb(content, { env }).text;
      } catch (error) {
        const line = (error as { line?: number }).line;
        throw new AccessoryError(`cannot render ${file.local}${line ? `:${line}` : ""}: ${firstLine(error)}`);
      }
    }
    return { remote: file.hostPath, content, mode: file.mode, owner: file.owner };
  });
  return { files, envFile };
}

/** Registry login (the accessory's own registry, else the app's) and the network, on the hosts. */
async function prepare(run: Run, accessory: Accessory, hosts: readonly string[]): Promise<void> {
  const s = run.session;
  await loginOnHosts(run, hosts, accessory.registry ?? run.config.registry);
  const networks = ["kamal", accessory.network].filter((n, i, all) => all.indexOf(n) === i && !BUILTIN_NETWORKS.has(n) && !n.startsWith("container:"));
  await s.onHosts(hosts, `network ${networks.join(", ")}`, async (host) => {
    for (const network of networks) {
      const result = await s.tryExec(host, render(docker("network", "create", network)));
      if (result.code !== 0 && !/already exists/.test(result.stderr)) {
        throw new AccessoryError(`cannot create the ${network} network on ${host}: ${stderrOf(result)}`, { hint: "Is Docker running there? (sextant server bootstrap)" });
      }
    }
  });
}

/** Directories (mkdir -p, mode, owner) and files (uploaded, mode, owner) on one host. */
async function uploadFiles(run: Run, accessory: Accessory, host: string, uploads: PreparedUploads): Promise<void> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  for (const dir of accessory.directories) {
    await s.exec(host, render(a.makeDirectory(dir.hostPath)));
    if (dir.mode) await s.exec(host, render(a.chmod(dir.hostPath, dir.mode)));
    if (dir.owner) await s.exec(host, render(a.chown(dir.hostPath, dir.owner)));
  }
  if (uploads.files.length === 0) return;
  const ssh = await s.connection(host);
  for (const file of uploads.files) {
    await s.exec(host, render(a.makeDirectoryFor(file.remote)));
    const mode = file.mode ? parseInt(file.mode, 8) : 0o755;
    await ssh.upload(file.content, file.remote, { mode: Number.isNaN(mode) ? 0o755 : mode });
    if (file.mode) await s.exec(host, render(a.chmod(file.remote, file.mode)));
    if (file.owner) await s.exec(host, render(a.chown(file.remote, file.owner)));
  }
}

/** Register a proxied accessory's running container with the proxy. */
async function deployToProxy(run: Run, accessory: Accessory, host: string): Promise<void> {
  if (!accessory.proxy) return;
  const s = run.session;
  const a = commandsFor(run, accessory);
  const certificate = accessory.proxy.sslCertificate;
  if (certificate) {
    s.emit({ type: "info", message: `Writing SSL certificates for accessory ${accessory.name} on ${host}` });
    await s.exec(host, render(a.ensureTlsDirectory()));
    await writeCertificate(run, host, certificate, accessoryTlsDirectory(run.config.proxyAppConfigDirectory, accessory));
  }
  const id = await s.capture(host, render(a.containerId()));
  if (!id) throw new AccessoryError(`Failed to get endpoint for accessory ${accessory.name} on ${host}, did the container boot?`);
  const result = await s.tryExec(host, render(a.deploy(id)));
  if (result.code !== 0) {
    throw new AccessoryError(`the proxy could not switch to accessory ${accessory.name} on ${host}: ${stderrOf(result).replace(/^Error: /, "")}`, {
      hint: `Check accessories.${accessory.name}.proxy (app_port, healthcheck) and \`sextant accessory logs ${accessory.name}\`.`,
    });
  }
}

/** Env file and `docker run` on one host (the container must not exist). */
async function runContainer(run: Run, accessory: Accessory, host: string, uploads: PreparedUploads): Promise<void> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  await run.audit(host, `Booted ${accessory.name} accessory`);
  await s.exec(host, render(a.ensureEnvDirectory()));
  const ssh = await s.connection(host);
  await ssh.upload(uploads.envFile, accessory.envFile, { mode: 0o600 });
  const result = await s.tryExec(host, render(a.run(host)));
  if (result.code !== 0) {
    await s.tryExec(host, render(docker("container", "rm", "--force", accessory.serviceName)));
    throw new AccessoryError(`cannot start accessory ${accessory.name} on ${host}: ${stderrOf(result)}`, {
      hint: `Check the image (${accessory.image}), port, volumes and options of accessories.${accessory.name}.`,
    });
  }
  await deployToProxy(run, accessory, host);
}

export interface BootOptions {
  /** Log in and create the network first (reboot has done it already). */
  prepare?: boolean;
  hosts?: readonly string[];
}

/** Boot an accessory on its hosts that have no container of it yet. */
export async function bootAccessory(run: Run, accessory: Accessory, options: BootOptions = {}): Promise<void> {
  const s = run.session;
  const hosts = options.hosts ?? accessoryHosts(run, accessory);
  if (hosts.length === 0) {
    s.emit({ type: "info", message: `No hosts selected for accessory ${accessory.name}` });
    return;
  }
  const uploads = prepareUploads(run, accessory);
  if (options.prepare !== false) await prepare(run, accessory, hosts);
  const a = commandsFor(run, accessory);
  const existing: string[] = [];
  await s.onHosts(hosts, `checked ${accessory.name}`, async (host) => {
    if ((await s.capture(host, render(a.containerIds()))) !== "") existing.push(host);
  });
  const remaining = hosts.filter((h) => !existing.includes(h));
  if (existing.length > 0) {
    s.emit({ type: "info", message: `Skipping booting \`${accessory.name}\` on ${hosts.filter((h) => existing.includes(h)).join(", ")}, a container already exists` });
  }
  await s.onHosts(hosts, `files of ${accessory.name}`, (host) => uploadFiles(run, accessory, host, uploads));
  if (remaining.length > 0) await s.onHosts(remaining, `booted ${accessory.name}`, (host) => runContainer(run, accessory, host, uploads));
}

/**
 * Replace the accessory's container with a fresh one (new image, files, env). Pulls first; the old
 * container is stopped and renamed while the new one starts, and put back if that fails.
 */
export async function rebootAccessory(run: Run, accessory: Accessory, options: { hosts?: readonly string[] } = {}): Promise<void> {
  const s = run.session;
  const hosts = options.hosts ?? accessoryHosts(run, accessory);
  if (hosts.length === 0) return;
  const uploads = prepareUploads(run, accessory);
  await prepare(run, accessory, hosts);
  const a = commandsFor(run, accessory);
  await s.onHosts(hosts, `pulled ${accessory.image}`, async (host) => {
    const result = await s.tryExec(host, render(a.pullImage()));
    if (result.code !== 0) {
      // A local-only image is fine; anything else is an error before the running container is touched.
      const local = await s.tryExec(host, render(docker("image", "inspect", accessory.image, "--format", "'{{.Id}}'")));
      if (local.code !== 0) throw new AccessoryError(`cannot pull ${accessory.image} on ${host}: ${stderrOf(result)}`, { hint: "The running accessory was left as it was." });
      s.emit({ type: "warn", message: `Could not pull ${accessory.image} on ${host}, using the image already there` });
    }
  });
  await s.onHosts(hosts, `rebooted ${accessory.name}`, async (host) => {
    const name = accessory.serviceName;
    const old = `${name}_replaced_${randomBytes(8).toString("hex")}`;
    const wasRunning = (await s.tryExec(host, render(docker("container", "inspect", name, "--format", "'{{.State.Running}}'")))).stdout.trim() === "true";
    const exists = (await s.tryExec(host, render(docker("container", "inspect", name, "--format", "'{{.Id}}'")))).code === 0;
    if (accessory.proxy && exists) await s.tryExec(host, render(a.removeFromProxy()));
    if (exists) {
      await run.audit(host, `Rebooted ${accessory.name} accessory`);
      await s.tryExec(host, render(a.stop()));
      await s.exec(host, render(docker("container", "rename", name, old)));
    }
    try {
      await uploadFiles(run, accessory, host, uploads);
      await runContainer(run, accessory, host, uploads);
    } catch (error) {
      if (exists) {
        s.emit({ type: "warn", message: `Reboot of ${accessory.name} failed on ${host}; restoring the previous container` });
        await s.tryExec(host, render(docker("container", "rm", "--force", name)));
        await s.tryExec(host, render(docker("container", "rename", old, name)));
        if (wasRunning) {
          await s.tryExec(host, render(a.start()));
          if (accessory.proxy) await deployToProxy(run, accessory, host).catch(() => undefined);
        }
      }
      throw error;
    }
    if (exists) await s.tryExec(host, render(docker("container", "rm", "--force", old)));
  });
}

export async function startAccessory(run: Run, accessory: Accessory): Promise<void> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  await s.onHosts(accessoryHosts(run, accessory), `started ${accessory.name}`, async (host) => {
    await run.audit(host, `Started ${accessory.name} accessory`);
    const result = await s.tryExec(host, render(a.start()));
    if (result.code !== 0) {
      throw new AccessoryError(`cannot start accessory ${accessory.name} on ${host}: ${stderrOf(result)}`, {
        hint: /No such container/i.test(result.stderr) ? `Boot it first: sextant accessory boot ${accessory.name}` : undefined,
      });
    }
    await deployToProxy(run, accessory, host);
  });
}

export async function stopAccessory(run: Run, accessory: Accessory): Promise<void> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  await s.onHosts(accessoryHosts(run, accessory), `stopped ${accessory.name}`, async (host) => {
    await run.audit(host, `Stopped ${accessory.name} accessory`);
    if (accessory.proxy) await s.tryExec(host, render(a.removeFromProxy()));
    await s.tryExec(host, render(a.stop()));
  });
}

/** Stop, then remove the container, the image and the accessory's directory (`ASVC/`) on its hosts. */
export async function removeAccessory(run: Run, accessory: Accessory): Promise<void> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  await s.onHosts(accessoryHosts(run, accessory), `removed ${accessory.name}`, async (host) => {
    await run.audit(host, `Removed ${accessory.name} accessory`);
    if (accessory.proxy) await s.tryExec(host, render(a.removeFromProxy()));
    await s.tryExec(host, render(a.stop()));
    await s.tryExec(host, render(a.removeContainer()));
    await s.tryExec(host, render(a.removeImage()));
    await s.tryExec(host, render(a.removeServiceDirectory()));
    await s.tryExec(host, render(a.removeEnvFile()));
    // The app's directory stays where the app runs; on accessory-only hosts the empty dirs go too.
    await s.tryExec(host, render(a.removeEmptyEnvDirectories()));
  });
}

/** Per host: the `docker ps` of the accessory's container. */
export async function accessoryDetails(run: Run, accessory: Accessory, options: ListingOptions = {}): Promise<{ host: string; text: string }[]> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  return s.onHosts(accessoryHosts(run, accessory), `details of ${accessory.name}`, async (host) => ({ host, text: (await s.exec(host, render(listing(a.info(), options)))).stdout }));
}

/** Run a command in the accessory (a new container, or the running one with `reuse`) on its hosts. */
export async function execAccessory(run: Run, accessory: Accessory, command: string, options: { reuse?: boolean } = {}): Promise<{ host: string; text: string }[]> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  const hosts = accessoryHosts(run, accessory);
  if (!options.reuse) await loginOnHosts(run, hosts, accessory.registry ?? run.config.registry);
  return s.onHosts(hosts, `exec in ${accessory.name}`, async (host) => {
    await run.audit(host, `Executed cmd '${command}' on ${accessory.name} accessory`);
    const argv = options.reuse ? a.execInExisting(command) : a.execInNew(command);
    const result = await s.tryExec(host, render(argv));
    if (result.code !== 0) throw new AccessoryError(`command failed in accessory ${accessory.name} on ${host} (exit ${result.code}): ${stderrOf(result)}`);
    return { host, text: result.stdout };
  });
}

export async function accessoryLogs(run: Run, accessory: Accessory, options: AccessoryLogsOptions): Promise<{ host: string; text: string }[]> {
  const s = run.session;
  const a = commandsFor(run, accessory);
  return s.onHosts(accessoryHosts(run, accessory), `logs of ${accessory.name}`, async (host) => {
    const result = await s.tryExec(host, render(a.logs(options)));
    return { host, text: result.code === 0 ? result.stdout : "Nothing found\n" };
  });
}

/** `setup`: boot every accessory not booted yet. */
export async function bootAllAccessories(run: Run): Promise<void> {
  for (const accessory of run.config.accessories) await bootAccessory(run, accessory);
}

/** `remove`: remove every accessory. */
export async function removeAllAccessories(run: Run): Promise<void> {
  for (const accessory of run.config.accessories) await removeAccessory(run, accessory);
}
