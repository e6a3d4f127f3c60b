/**
 * The `servers:` section: roles, their hosts (with tags), and everything derived per role — labels,
 * options, logging, the proxy merged over the root one, env per host, stop timeout, assets.
 */
import { ContainerEnv, envSpec, mergeEnv, toText } from "./env-model.ts";
import { deepMerge } from "./load.ts";
import { type LoggingSettings, loggingSettings } from "./logging-model.ts";
import type { SextantConfig } from "./model.ts";
import { type ProxySettings, proxySettings } from "./proxy-model.ts";
import { hashOrEmpty, type Raw, splitRestart, text } from "./raw.ts";
import { isHash } from "./schema/common.ts";
import { argumentize, optionize } from "./shell.ts";

export interface Role {
  name: string;
  /** Hosts in config order (a host listed twice appears once). */
  hosts: string[];
  /** Tags of each host, in the order written. */
  hostTags: Record<string, string[]>;
  primaryHost?: string;
  isPrimary: boolean;
  cmd?: string;
  /** Docker run options without `restart`. */
  options: Record<string, unknown>;
  optionArgs: string[];
  /** Restart policy (`options.restart`, default unless-stopped). */
  restart: string;
  /** service, role, destination (undefined without one), then root labels, then role labels. */
  labels: Record<string, string | undefined>;
  labelArgs: string[];
  logging: LoggingSettings;
  runningProxy: boolean;
  /** Role proxy merged over the root proxy, when the role runs the proxy. */
  proxy?: ProxySettings;
  /** Running the proxy with TLS. */
  ssl: boolean;
  /** `docker stop -t`: role, else root stop_timeout, else drain_timeout for non-proxy roles. */
  stopTimeout?: number;
  assetPath?: string;
  /** Asset bridging applies (asset_path set and the role runs the proxy). */
  assets: boolean;
  /** Containers of the role on each host (`replicas:`, default 1), all behind its proxy service. */
  replicas: number;
  /** `SVC-ROLE[-DEST]` */
  containerPrefix: string;
  /** `SVC-ROLE[-DEST]-VERSION` (version defaults to the config version). */
  containerName(version?: string): string;
  /** Env of this role on a host: root env, role env, then the host's tags. */
  env(host: string): ContainerEnv;
  /** Remote env file: `.kamal/apps/SVC[-DEST]/env/roles/ROLE.env`. */
  envFile: string;
  assetExtractedDirectory(version?: string): string;
  assetVolumeDirectory(version?: string): string;
}

/** Host entries (`host` or `{host: tag|[tags]}`) -> hosts with tags, duplicates folded. */
export function taggedHosts(entries: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!Array.isArray(entries)) return out;
  for (const entry of entries) {
    if (isHash(entry)) {
      const [host, tags] = Object.entries(entry)[0] ?? [];
      if (host === undefined) continue;
      out.set(host, Array.isArray(tags) ? tags.map(toText) : tags === undefined || tags === null ? [] : [toText(tags)]);
    } else if (entry !== null && entry !== undefined) out.set(toText(entry), []);
  }
  return out;
}

/** Roles in Kamal's order: `web` for a plain host list, else the role names sorted. */
export function buildRoles(config: SextantConfig): Role[] {
  const servers = config.raw.servers;
  if (servers === undefined || servers === null) return [];
  const names = Array.isArray(servers) ? ["web"] : Object.keys(hashOrEmpty(servers)).sort();
  return names.map((name) => buildRole(config, name, Array.isArray(servers) ? servers : hashOrEmpty(servers)[name]));
}

function buildRole(config: SextantConfig, name: string, roleRaw: unknown): Role {
  const spec: Raw = isHash(roleRaw) ? roleRaw : {};
  const tagged = taggedHosts(Array.isArray(roleRaw) ? roleRaw : spec.hosts);
  const hosts = [...tagged.keys()];
  const isPrimary = name === config.primaryRoleName;
  const roleProxy = spec.proxy;
  const runningProxy = isPrimary ? roleProxy !== false : roleProxy !== undefined && roleProxy !== null && roleProxy !== false;
  const proxy = runningProxy ? proxySettings(deepMerge(isHash(config.raw.proxy) ? config.raw.proxy : {}, isHash(roleProxy) ? roleProxy : {}) as Raw) : undefined;
  const { options, restart } = splitRestart(spec.options);
  const labels: Record<string, string | undefined> = { service: config.service, role: name, destination: config.destination };
  Object.assign(labels, config.labels);
  for (const [k, v] of Object.entries(hashOrEmpty(spec.labels))) labels[k] = toText(v);
  const logging = loggingSettings(deepMerge(hashOrEmpty(config.raw.logging), hashOrEmpty(spec.logging)) as Raw);
  const stopTimeout = typeof spec.stop_timeout === "number" ? spec.stop_timeout : (config.stopTimeout ?? (runningProxy ? undefined : config.drainTimeout));
  const assetPath = text(spec.asset_path) ?? config.assetPath;
  const containerPrefix = [config.service, name, config.destination].filter(Boolean).join("-");
  const roleEnv = mergeEnv(config.env, envSpec(spec.env));
  const envCache = new Map<string, ContainerEnv>();
  return {
    name,
    hosts,
    hostTags: Object.fromEntries(tagged),
    primaryHost: hosts[0],
    isPrimary,
    cmd: text(spec.cmd),
    options,
    optionArgs: optionize(options),
    restart,
    labels,
    labelArgs: argumentize("--label", labels),
    logging,
    runningProxy,
    proxy,
    ssl: !!proxy?.ssl,
    stopTimeout,
    assetPath,
    assets: assetPath !== undefined && assetPath !== "" && runningProxy,
    replicas: typeof spec.replicas === "number" && spec.replicas >= 1 ? spec.replicas : 1,
    containerPrefix,
    containerName: (version?: string) => `${containerPrefix}-${version ?? config.version}`,
    env(host: string) {
      let env = envCache.get(host);
      if (!env) {
        const tags = tagged.get(host) ?? [];
        let merged = roleEnv;
        for (const tag of tags) {
          const tagEnv = config.envTags[tag];
          if (tagEnv) merged = mergeEnv(merged, tagEnv);
        }
        env = new ContainerEnv(merged, config.secrets, tags);
        envCache.set(host, env);
      }
      return env;
    },
    envFile: `${config.envDirectory}/roles/${name}.env`,
    assetExtractedDirectory: (version?: string) => `${config.assetsDirectory}/extracted/${name}-${version ?? config.version}`,
    assetVolumeDirectory: (version?: string) => `${config.assetsDirectory}/volumes/${name}-${version ?? config.version}`,
  };
}
