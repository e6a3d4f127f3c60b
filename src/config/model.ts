/**
 * The derived configuration every command reads. Built from the validated raw config; pure apart
 * from the lazily resolved version (git) and secrets (secrets files). Follows Kamal 2.12.
 */
import { resolve } from "node:path";
import { builderSettings, type BuilderSettings } from "./builder-model.ts";
import { ContainerEnv, envSpec, mergeEnv, toText, type EnvSpec } from "./env-model.ts";
import { proxySettings, type ProxySettings } from "./proxy-model.ts";
import { registrySettings, type RegistrySettings } from "./registry-model.ts";
import { sshkitSettings, sshSettings, type SshkitSettings, type SshSettings } from "./ssh-model.ts";
import { isHash } from "./schema/common.ts";
import { DEFAULT_SECRETS_PATH, Secret, Secrets } from "./secrets.ts";
import { argumentize, optionize } from "./shell.ts";
import { abbreviateVersion, resolveVersion } from "./version.ts";
import { deepMerge } from "./load.ts";

export type Raw = Record<string, unknown>;

export interface LoggingSettings {
  driver?: string;
  options: Record<string, unknown>;
  /** `--log-driver "D" --log-opt k="v"`, or `--log-opt max-size="10m"` when nothing is set. */
  args: string[];
}

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

export interface AccessoryMount {
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

export interface BootSettings {
  /** Hosts booted at a time (percentages resolved over all hosts, at least 1); undefined = all. */
  limit?: number;
  wait?: number;
  parallelRoles: boolean;
}

export type HookOutput = "quiet" | "verbose";

export interface BuildContext {
  destination?: string;
  declaredVersion?: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  configFile: string;
  files: string[];
  git?: (args: string[]) => string | undefined;
  runCommand?: (command: string) => string;
}

const DEFAULT_RESTART = "unless-stopped";

function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : toText(value);
}

function hashOrEmpty(value: unknown): Raw {
  return isHash(value) ? value : {};
}

function splitRestart(options: unknown): { options: Raw; restart: string } {
  const rest: Raw = { ...hashOrEmpty(options) };
  const restart = rest.restart === undefined ? DEFAULT_RESTART : toText(rest.restart);
  delete rest.restart;
  return { options: rest, restart };
}

export function loggingSettings(raw: Raw): LoggingSettings {
  const driver = text(raw.driver);
  const options = hashOrEmpty(raw.options);
  const args =
    driver !== undefined || Object.keys(options).length > 0
      ? [...optionize(driver === undefined ? {} : { "log-driver": driver }), ...argumentize("--log-opt", options)]
      : argumentize("--log-opt", { "max-size": "10m" });
  return { driver, options, args };
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

export class SextantConfig {
  readonly raw: Raw;
  readonly destination?: string;
  readonly cwd: string;
  readonly configFile: string;
  /** Files read (base, then destination). */
  readonly files: string[];
  readonly service: string;
  readonly registry: RegistrySettings;
  /** The image name as configured (defaults to the service with a local registry). */
  readonly image: string;
  readonly roles: Role[];
  readonly accessories: Accessory[];
  readonly primaryRoleName: string;
  readonly env: EnvSpec;
  readonly envTags: Record<string, EnvSpec>;
  readonly labels: Record<string, string>;
  readonly volumes: string[];
  readonly logging: LoggingSettings;
  /** The root proxy section (what roles inherit). */
  readonly proxy?: ProxySettings;
  readonly builder: BuilderSettings;
  readonly ssh: SshSettings;
  readonly sshkit: SshkitSettings;
  readonly boot: BootSettings;
  readonly aliases: Record<string, string>;
  readonly output: { otel?: { endpoint: string }; file?: { path: string } };
  readonly hooksPath: string;
  readonly hooksOutput: { all?: HookOutput; hooks: Record<string, HookOutput> };
  readonly secretsPath: string;
  readonly secrets: Secrets;
  readonly assetPath?: string;
  readonly errorPagesPath?: string;
  readonly requireDestination: boolean;
  readonly allowEmptyRoles: boolean;
  readonly retainContainers: number;
  readonly minimumVersion?: string;
  readonly readinessDelay: number;
  readonly deployTimeout: number;
  readonly drainTimeout: number;
  readonly stopTimeout?: number;
  /** Kamal hard-codes `.kamal` (run_directory in the config is accepted and ignored). */
  readonly runDirectory = ".kamal";

  // Private fields (the context holds the environment) so printing the config never dumps them.
  readonly #context: BuildContext;
  #version?: string;

  constructor(raw: Raw, context: BuildContext) {
    this.raw = raw;
    this.#context = context;
    this.destination = context.destination;
    this.cwd = context.cwd;
    this.configFile = context.configFile;
    this.files = context.files;
    this.service = toText(raw.service);
    this.registry = registrySettings(isHash(raw.registry) ? raw.registry : undefined);
    this.image = raw.image === undefined || raw.image === null ? (this.registry.local ? this.service : "") : toText(raw.image);
    this.primaryRoleName = raw.primary_role === undefined ? "web" : toText(raw.primary_role);
    this.secretsPath = raw.secrets_path === undefined ? DEFAULT_SECRETS_PATH : toText(raw.secrets_path);
    this.secrets = new Secrets({ secretsPath: this.secretsPath, destination: this.destination, cwd: this.cwd, env: context.env, runCommand: context.runCommand });
    this.hooksPath = raw.hooks_path === undefined ? ".kamal/hooks" : toText(raw.hooks_path);
    this.hooksOutput = hooksOutput(raw.hooks_output);
    this.assetPath = text(raw.asset_path);
    this.errorPagesPath = text(raw.error_pages_path);
    this.requireDestination = raw.require_destination === true;
    this.allowEmptyRoles = raw.allow_empty_roles === true;
    this.retainContainers = typeof raw.retain_containers === "number" ? raw.retain_containers : 5;
    this.minimumVersion = text(raw.minimum_version);
    this.readinessDelay = typeof raw.readiness_delay === "number" ? raw.readiness_delay : 7;
    this.deployTimeout = typeof raw.deploy_timeout === "number" ? raw.deploy_timeout : 30;
    this.drainTimeout = typeof raw.drain_timeout === "number" ? raw.drain_timeout : 30;
    this.stopTimeout = typeof raw.stop_timeout === "number" ? raw.stop_timeout : undefined;

    const rootEnv = isHash(raw.env) ? raw.env : {};
    this.env = envSpec(rootEnv);
    this.envTags = {};
    if (isHash(rootEnv.tags)) for (const [tag, spec] of Object.entries(rootEnv.tags)) this.envTags[tag] = envSpec(spec);
    this.labels = {};
    for (const [k, v] of Object.entries(hashOrEmpty(raw.labels))) this.labels[k] = toText(v);
    this.volumes = Array.isArray(raw.volumes) ? raw.volumes.map(toText) : [];
    this.logging = loggingSettings(hashOrEmpty(raw.logging));
    this.proxy = isHash(raw.proxy) ? proxySettings(raw.proxy) : undefined;
    this.builder = builderSettings(hashOrEmpty(raw.builder), this.registry.local);
    this.ssh = sshSettings(hashOrEmpty(raw.ssh));
    this.sshkit = sshkitSettings(hashOrEmpty(raw.sshkit));
    this.aliases = {};
    for (const [k, v] of Object.entries(hashOrEmpty(raw.aliases))) this.aliases[k] = toText(v);
    const output = hashOrEmpty(raw.output);
    this.output = {
      otel: isHash(output.otel) ? { endpoint: toText(output.otel.endpoint ?? "") } : undefined,
      file: isHash(output.file) ? { path: toText(output.file.path ?? "") } : undefined,
    };

    this.roles = this.buildRoles();
    this.accessories = Object.entries(hashOrEmpty(raw.accessories)).map(([name, a]) => this.buildAccessory(name, hashOrEmpty(a)));
    this.boot = bootSettings(hashOrEmpty(raw.boot), this.allHosts.length);
  }

  // ---- versions and images ------------------------------------------------------------------

  /** `--version` > VERSION > git (resolved on first use). */
  get version(): string {
    this.#version ??= resolveVersion({
      declared: this.#context.declaredVersion,
      env: this.#context.env,
      cwd: this.cwd,
      gitClone: this.builder.gitClone,
      git: this.#context.git,
    });
    return this.#version;
  }

  get abbreviatedVersion(): string {
    return abbreviateVersion(this.version);
  }

  /** `[REGISTRY/]IMAGE` */
  get repository(): string {
    return [this.registry.server, this.image].filter((p) => p !== undefined && p !== "").join("/");
  }

  get absoluteImage(): string {
    return `${this.repository}:${this.version}`;
  }

  /** `latest` or `latest-DEST` */
  get latestTag(): string {
    return ["latest", this.destination].filter(Boolean).join("-");
  }

  get latestImage(): string {
    return `${this.repository}:${this.latestTag}`;
  }

  get serviceWithVersion(): string {
    return `${this.service}-${this.version}`;
  }

  /** `SVC` or `SVC-DEST` */
  get serviceAndDestination(): string {
    return [this.service, this.destination].filter(Boolean).join("-");
  }

  // ---- roles and hosts --------------------------------------------------------------------

  role(name: string): Role | undefined {
    return this.roles.find((r) => r.name === name);
  }

  get primaryRole(): Role | undefined {
    return this.role(this.primaryRoleName);
  }

  get primaryHost(): string | undefined {
    return this.primaryRole?.primaryHost;
  }

  /** Roles with the primary role first (the order commands act in). */
  get rolesPrimaryFirst(): Role[] {
    return [...this.roles].sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary));
  }

  accessory(name: string): Accessory | undefined {
    return this.accessories.find((a) => a.name === name);
  }

  /** Role hosts then accessory hosts, de-duplicated, in config order. */
  get allHosts(): string[] {
    return unique([...this.roles.flatMap((r) => r.hosts), ...this.accessories.flatMap((a) => a.hosts)]);
  }

  get appHosts(): string[] {
    return unique(this.roles.flatMap((r) => r.hosts));
  }

  get proxyRoles(): Role[] {
    return this.roles.filter((r) => r.runningProxy);
  }

  get proxyAccessories(): Accessory[] {
    return this.accessories.filter((a) => a.runningProxy);
  }

  get proxyHosts(): string[] {
    return unique([...this.proxyRoles.flatMap((r) => r.hosts), ...this.proxyAccessories.flatMap((a) => a.hosts)]);
  }

  rolesOnHost(host: string): Role[] {
    return this.roles.filter((r) => r.hosts.includes(host));
  }

  accessoriesOnHost(host: string): Accessory[] {
    return this.accessories.filter((a) => a.hosts.includes(host));
  }

  // ---- secrets ------------------------------------------------------------------------------

  /** A secret by name (loads the secrets files on first use). */
  secret(name: string): Secret {
    return this.secrets.get(name);
  }

  /** Private keys from `ssh.key_data`: secret names, or (deprecated) PEM text written inline. */
  sshKeyData(): Secret[] {
    return (this.ssh.keyData ?? []).map((entry, i) => (entry.includes("-----BEGIN") ? new Secret(`ssh.key_data[${i}]`, entry) : this.secrets.get(entry)));
  }

  /** Output level configured for a hook (`hooks_output`), if any. */
  hookOutput(hook: string): HookOutput | undefined {
    return this.hooksOutput.hooks[hook] ?? this.hooksOutput.all;
  }

  // ---- docker args that do not depend on a role -------------------------------------------

  get volumeArgs(): string[] {
    return this.volumes.length > 0 ? argumentize("--volume", this.volumes) : [];
  }

  get loggingArgs(): string[] {
    return this.logging.args;
  }

  // ---- directories (relative to the SSH user's home on servers) ---------------------------

  get appsDirectory(): string {
    return `${this.runDirectory}/apps`;
  }

  /** `.kamal/apps/SVC[-DEST]` */
  get appDirectory(): string {
    return `${this.appsDirectory}/${this.serviceAndDestination}`;
  }

  get envDirectory(): string {
    return `${this.appDirectory}/env`;
  }

  get assetsDirectory(): string {
    return `${this.appDirectory}/assets`;
  }

  get auditLogFile(): string {
    return `${this.runDirectory}/${this.serviceAndDestination}-audit.log`;
  }

  get lockDirectory(): string {
    return `${this.runDirectory}/lock-${this.serviceAndDestination}`;
  }

  get proxyDirectory(): string {
    return `${this.runDirectory}/proxy`;
  }

  get proxyAppsConfigDirectory(): string {
    return `${this.proxyDirectory}/apps-config`;
  }

  /** `.kamal/proxy/apps-config/SVC[-DEST]` on the host. */
  get proxyAppConfigDirectory(): string {
    return `${this.proxyAppsConfigDirectory}/${this.serviceAndDestination}`;
  }

  /** The same directory as the proxy container sees it. */
  get proxyAppConfigContainerDirectory(): string {
    return `/home/kamal-proxy/.apps-config/${this.serviceAndDestination}`;
  }

  // ---- builders ---------------------------------------------------------------------------

  private buildRoles(): Role[] {
    const servers = this.raw.servers;
    if (servers === undefined || servers === null) return [];
    const names = Array.isArray(servers) ? ["web"] : Object.keys(hashOrEmpty(servers)).sort();
    return names.map((name) => this.buildRole(name, Array.isArray(servers) ? servers : hashOrEmpty(servers)[name]));
  }

  private buildRole(name: string, roleRaw: unknown): Role {
    const spec: Raw = isHash(roleRaw) ? roleRaw : {};
    const tagged = taggedHosts(Array.isArray(roleRaw) ? roleRaw : spec.hosts);
    const hosts = [...tagged.keys()];
    const isPrimary = name === this.primaryRoleName;
    const roleProxy = spec.proxy;
    const runningProxy = isPrimary ? roleProxy !== false : roleProxy !== undefined && roleProxy !== null && roleProxy !== false;
    const proxy = runningProxy
      ? proxySettings(deepMerge(isHash(this.raw.proxy) ? this.raw.proxy : {}, isHash(roleProxy) ? roleProxy : {}) as Raw)
      : undefined;
    const { options, restart } = splitRestart(spec.options);
    const labels: Record<string, string | undefined> = { service: this.service, role: name, destination: this.destination };
    Object.assign(labels, this.labels);
    for (const [k, v] of Object.entries(hashOrEmpty(spec.labels))) labels[k] = toText(v);
    const logging = loggingSettings(deepMerge(hashOrEmpty(this.raw.logging), hashOrEmpty(spec.logging)) as Raw);
    const stopTimeout = typeof spec.stop_timeout === "number" ? spec.stop_timeout : this.stopTimeout ?? (runningProxy ? undefined : this.drainTimeout);
    const assetPath = text(spec.asset_path) ?? this.assetPath;
    const containerPrefix = [this.service, name, this.destination].filter(Boolean).join("-");
    const roleEnv = mergeEnv(this.env, envSpec(spec.env));
    const envCache = new Map<string, ContainerEnv>();
    const config = this;
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
      envFile: `${this.envDirectory}/roles/${name}.env`,
      assetExtractedDirectory: (version?: string) => `${config.assetsDirectory}/extracted/${name}-${version ?? config.version}`,
      assetVolumeDirectory: (version?: string) => `${config.assetsDirectory}/volumes/${name}-${version ?? config.version}`,
    };
  }

  private buildAccessory(name: string, raw: Raw): Accessory {
    const serviceName = raw.service === undefined ? `${this.service}-${name}` : toText(raw.service);
    const registry = isHash(raw.registry) ? registrySettings(raw.registry) : undefined;
    const image = [registry?.server, text(raw.image)].filter((p) => p !== undefined && p !== "").join("/");
    const hosts = unique(this.accessoryHosts(raw));
    const portText = text(raw.port);
    const port = portText === undefined ? undefined : portText.includes(":") ? portText : `${portText}:${portText}`;
    const labels: Record<string, string> = { service: serviceName };
    for (const [k, v] of Object.entries(hashOrEmpty(raw.labels))) labels[k] = toText(v);
    const { options, restart } = splitRestart(raw.options);
    const files = (Array.isArray(raw.files) ? raw.files : []).map((f) => this.mount(f, serviceName, "file"));
    const directories = (Array.isArray(raw.directories) ? raw.directories : []).map((d) => this.mount(d, serviceName, "directory"));
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
      env: new ContainerEnv(envSpec(raw.env), this.secrets),
      envFile: `${this.envDirectory}/accessories/${name}.env`,
      files,
      directories,
      volumes,
      network: raw.network === undefined ? "kamal" : toText(raw.network),
      runningProxy,
      proxy: runningProxy ? proxySettings(raw.proxy as Raw) : undefined,
      raw,
    };
  }

  private accessoryHosts(raw: Raw): string[] {
    if (raw.host !== undefined) return [toText(raw.host)];
    if (raw.hosts !== undefined) return [...taggedHosts(raw.hosts).keys()];
    if (raw.role !== undefined) return this.role(toText(raw.role))?.hosts ?? [];
    if (Array.isArray(raw.roles)) return raw.roles.flatMap((r) => this.role(toText(r))?.hosts ?? []);
    const tags = raw.tag !== undefined ? [toText(raw.tag)] : Array.isArray(raw.tags) ? raw.tags.map(toText) : [];
    if (tags.length === 0) return [];
    const servers = this.raw.servers;
    const roleEntries: unknown[][] = Array.isArray(servers)
      ? [servers]
      : Object.values(hashOrEmpty(servers)).map((r) => (Array.isArray(r) ? r : isHash(r) && Array.isArray(r.hosts) ? r.hosts : []));
    return tags.flatMap((tag) =>
      roleEntries.flatMap((entries) => [...taggedHosts(entries)].filter(([, hostTags]) => hostTags.includes(tag)).map(([host]) => host)),
    );
  }

  private mount(entry: unknown, serviceName: string, kind: "file" | "directory"): AccessoryMount {
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
        localPath: resolve(this.cwd, local),
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
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function hooksOutput(raw: unknown): { all?: HookOutput; hooks: Record<string, HookOutput> } {
  const level = (v: unknown) => toText(v).replace(/^:/, "") as HookOutput;
  if (raw === undefined || raw === null) return { hooks: {} };
  if (isHash(raw)) return { hooks: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, level(v)])) };
  return { all: level(raw), hooks: {} };
}

export function bootSettings(raw: Raw, hostCount: number): BootSettings {
  const limit = raw.limit;
  let resolved: number | undefined;
  if (typeof limit === "number") resolved = limit;
  else if (typeof limit === "string" && limit.trim().endsWith("%")) resolved = Math.max(Math.floor((hostCount * parseInt(limit, 10)) / 100), 1);
  return { limit: resolved, wait: typeof raw.wait === "number" ? raw.wait : undefined, parallelRoles: raw.parallel_roles === true };
}
