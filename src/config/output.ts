/**
 * What `sextant config` prints: the same summary as `kamal config` (roles, hosts, primary host,
 * version, image names, volume and logging args, ssh options, sshkit, builder, accessories),
 * as YAML or JSON. Secret values never appear: the summary only names secrets.
 */
import { stringify } from "yaml";
import type { SextantConfig } from "./model.ts";
import { isSecret, REDACTED } from "./secrets.ts";

export function kamalConfigHash(config: SextantConfig): Record<string, unknown> {
  const ssh: Record<string, unknown> = { user: config.raw.ssh && (config.raw.ssh as Record<string, unknown>).user !== undefined ? config.ssh.user : "root", port: sshPort(config) };
  if (config.ssh.proxy) ssh.proxy = "jump" in config.ssh.proxy ? config.ssh.proxy.jump : config.ssh.proxy.command;
  ssh.keepalive = true;
  ssh.keepalive_interval = config.ssh.keepaliveInterval;
  if (config.ssh.keysOnly !== undefined) ssh.keys_only = config.ssh.keysOnly;
  if (config.ssh.keys) ssh.keys = config.ssh.keys;
  if (config.ssh.keyData) ssh.key_data = config.ssh.keyData.map(() => REDACTED);
  if (config.raw.ssh && (config.raw.ssh as Record<string, unknown>).config !== undefined) ssh.config = config.ssh.config;
  if (config.ssh.forwardAgent !== undefined) ssh.forward_agent = config.ssh.forwardAgent;
  ssh.log_level = config.ssh.logLevel;

  const out: Record<string, unknown> = {
    roles: config.roles.map((r) => r.name),
    hosts: config.allHosts,
    primary_host: config.primaryHost,
    version: config.version,
    repository: config.repository,
    absolute_image: config.absoluteImage,
    service_with_version: config.serviceWithVersion,
    volume_args: config.volumeArgs,
    ssh_options: ssh,
    sshkit: config.sshkit.raw,
    builder: config.builder.raw,
    accessories: config.raw.accessories,
    logging: config.loggingArgs,
  };
  const extras = beyondKamal(config);
  if (Object.keys(extras).length > 0) out.beyond_kamal = extras;
  for (const key of Object.keys(out)) if (out[key] === undefined || out[key] === null) delete out[key];
  return out;
}

/**
 * The settings sextant adds to Kamal's, per role, only where they are used — so a plain Kamal
 * config prints exactly what `kamal config` prints.
 */
function beyondKamal(config: SextantConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const role of config.roles) {
    const p = role.proxy;
    const entry: Record<string, unknown> = {
      replicas: role.replicas > 1 ? role.replicas : undefined,
      client_ip_header: p?.clientIpHeader,
      canonical_host: p?.canonicalHost,
      exclude_metrics_paths: p && p.excludeMetricsPaths.length > 0 ? p.excludeMetricsPaths : undefined,
      healthcheck_port: p?.healthcheck.port,
      tls_on_demand_url: p?.tlsOnDemandUrl,
      http3: p?.run?.http3 || undefined,
      basic_auth: p?.basicAuth ? { username: p.basicAuth.username, password: p.basicAuth.password } : undefined,
    };
    for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
    if (Object.keys(entry).length > 0) out[role.name] = entry;
  }
  return out;
}

function sshPort(config: SextantConfig): unknown {
  const raw = config.raw.ssh as Record<string, unknown> | undefined;
  return raw?.port ?? 22;
}

function redactDeep(value: unknown): unknown {
  if (isSecret(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  return value;
}

function renderConfig(config: SextantConfig, format: "yaml" | "json"): string {
  const data = redactDeep(kamalConfigHash(config));
  return format === "json" ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

export interface ShowConfigOptions {
  configFile?: string;
  destination?: string;
  version?: string;
  json?: boolean;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Load the configuration and render it for `sextant config`. */
export async function showConfig(options: ShowConfigOptions): Promise<string> {
  const { loadConfig } = await import("./index.ts");
  const config = loadConfig(options);
  return renderConfig(config, options.json ? "json" : "yaml");
}
