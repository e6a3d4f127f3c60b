/**
 * The `accessories:` section: one long-lived container per accessory (a database, a cache), its
 * hosts (named, or by role or tag), files and directories mounted from the project, env, proxy.
 */
import { resolve } from "node:path";
import { ContainerEnv, envSpec, toText } from "./env-model.ts";
import type { SextantConfig } from "./model.ts";
import { type ProxySettings, proxySettings } from "./proxy-model.ts";
import { hashOrEmpty, type Raw, splitRestart, text, unique } from "./raw.ts";
import { type RegistrySettings, registrySettings } from "./registry-model.ts";
import { taggedHosts } from "./role-model.ts";
import { isHash } from "./schema/common.ts";
import { optionize } from "./shell.ts";

interface AccessoryMount {
  /** As written (relative to the project). */
  local: string;
  /** Absolute local path (files), or the host path (directories). */
  localPath: string;
  /** Path inside the container. */
  remote: string;
  /** Path on the server, relative to the SSH user's home (`ASVC/<remote>` or `ASVC/<name>`), or absolute. */
  hostPath: string;
  mode?: string;
  owner?: string;
  options?: string;
  /** Local file rendered as ERB before upload. */
  erb: boolean;
}

export interface Accessory {
  name: string;
  /** Container name and `service` label (default `SVC-NAME`). */
  serviceName: string;
  /** Image, prefixed with the accessory registry server when it has one. */
  image: string;
  registry?: RegistrySettings;
  hosts: string[];
  /** `--publish` value (`3306` -> `3306:3306`). */
  port?: string;
  cmd?: string;
  labels: Record<string, string>;
  options: Record<string, unknown>;
  optionArgs: string[];
  restart: string;
  env: ContainerEnv;
  envFile: string;
  files: AccessoryMount[];
  directories: AccessoryMount[];
  /** All `--volume` values: volumes, then files, then directories. */
  volumes: string[];
  network: string;
  runningProxy: boolean;
  proxy?: ProxySettings;
  raw: Raw;
}

export function buildAccessory(config: SextantConfig, name: string, raw: Raw): Accessory {
  const serviceName = raw.service === undefined ? `${config.service}-${name}` : toText(raw.service);
  const registry = isHash(raw.registry) ? registrySettings(raw.registry) : undefined;
  const image = [registry?.server, text(raw.image)].filter((p) => p !== undefined && p !== "").join("/");
  const hosts = unique(accessoryHosts(config, raw));
  const portText = text(raw.port);
  const port = portText === undefined ? undefined : portText.includes(":") ? portText : `${portText}:${portText}`;
  const labels: Record<string, string> = { service: serviceName };
  for (const [k, v] of Object.entries(hashOrEmpty(raw.labels))) labels[k] = toText(v);
  const { options, restart } = splitRestart(raw.options);
  const files = (Array.isArray(raw.files) ? raw.files : []).map((f) => mount(config.cwd, f, serviceName, "file"));
  const directories = (Array.isArray(raw.directories) ? raw.directories : []).map((d) => mount(config.cwd, d, serviceName, "directory"));
  const volumes = [
    ...(Array.isArray(raw.volumes) ? raw.volumes.map(toText) : []),
    ...files.map((f) => `$PWD/${f.hostPath}:${f.remote}${f.options ? `:${f.options}` : ""}`),
    ...directories.map((d) => `${d.hostPath.startsWith("/") ? d.hostPath : `$PWD/${d.hostPath}`}:${d.remote}${d.options ? `:${d.options}` : ""}`),
  ];
  const runningProxy = isHash(raw.proxy) && Object.keys(raw.proxy).length > 0;
  return {
    name,
    serviceName,
    image,
    registry,
    hosts,
    port,
    cmd: text(raw.cmd),
    labels,
    options,
    optionArgs: optionize(options),
    restart,
    env: new ContainerEnv(envSpec(raw.env), config.secrets),
    envFile: `${config.envDirectory}/accessories/${name}.env`,
    files,
    directories,
    volumes,
    network: raw.network === undefined ? "kamal" : toText(raw.network),
    runningProxy,
    proxy: runningProxy ? proxySettings(raw.proxy as Raw) : undefined,
    raw,
  };
}

function accessoryHosts(config: SextantConfig, raw: Raw): string[] {
  if (raw.host !== undefined) return [toText(raw.host)];
  if (raw.hosts !== undefined) return [...taggedHosts(raw.hosts).keys()];
  if (raw.role !== undefined) return config.role(toText(raw.role))?.hosts ?? [];
  if (Array.isArray(raw.roles)) return raw.roles.flatMap((r) => config.role(toText(r))?.hosts ?? []);
  const tags = raw.tag !== undefined ? [toText(raw.tag)] : Array.isArray(raw.tags) ? raw.tags.map(toText) : [];
  if (tags.length === 0) return [];
  const servers = config.raw.servers;
  const roleEntries: unknown[][] = Array.isArray(servers) ? [servers] : Object.values(hashOrEmpty(servers)).map((r) => (Array.isArray(r) ? r : isHash(r) && Array.isArray(r.hosts) ? r.hosts : []));
  return tags.flatMap((tag) => roleEntries.flatMap((entries) => [...taggedHosts(entries)].filter(([, hostTags]) => hostTags.includes(tag)).map(([host]) => host)));
}

function mount(cwd: string, entry: unknown, serviceName: string, kind: "file" | "directory"): AccessoryMount {
  let local: string;
  let remote: string;
  let mode: string | undefined;
  let owner: string | undefined;
  let options: string | undefined;
  if (isHash(entry)) {
    local = toText(entry.local);
    remote = toText(entry.remote);
    mode = text(entry.mode);
    owner = text(entry.owner);
    options = text(entry.options);
  } else {
    const parts = toText(entry).split(":");
    local = parts[0] ?? "";
    remote = parts[1] ?? "";
    options = parts.length > 2 ? parts.slice(2).join(":") : undefined;
  }
  if (kind === "file") {
    return {
      local,
      localPath: resolve(cwd, local),
      remote,
      hostPath: `${serviceName}${remote.startsWith("/") ? "" : "/"}${remote}`,
      mode: mode ?? "755",
      owner,
      options,
      erb: local.endsWith("erb"),
    };
  }
  const hostPath = local.startsWith("/") ? local : `${serviceName}/${local}`;
  return { local, localPath: hostPath, remote, hostPath, mode, owner, options, erb: false };
}
