/**
 * The derived configuration every command reads. Built from the validated raw config; pure apart
 * from the lazily resolved version (git) and secrets (secrets files). Follows Kamal 2.12.
 *
 * This file holds the root keys, images, directories and host queries; each section with more to
 * it is built in its own `<section>-model.ts` (roles, accessories, builder, env, logging, proxy,
 * registry, ssh, sshkit, boot) and checked in its `<section>-check.ts`.
 */
import { type Accessory, buildAccessory } from "./accessory-model.ts";
import { type BootSettings, bootSettings } from "./boot-model.ts";
import { type BuilderSettings, builderSettings } from "./builder-model.ts";
import { type EnvSpec, envSpec, toText } from "./env-model.ts";
import { type LoggingSettings, loggingSettings } from "./logging-model.ts";
import { type ProxySettings, proxySettings } from "./proxy-model.ts";
import { hashOrEmpty, type Raw, text, unique } from "./raw.ts";
import { type RegistrySettings, registrySettings } from "./registry-model.ts";
import { buildRoles, type Role } from "./role-model.ts";
import { isHash } from "./schema/common.ts";
import { DEFAULT_SECRETS_PATH, Secret, Secrets } from "./secrets.ts";
import { argumentize } from "./shell.ts";
import { type SshSettings, sshSettings } from "./ssh-model.ts";
import { type SshkitSettings, sshkitSettings } from "./sshkit-model.ts";
import { abbreviateVersion, resolveVersion } from "./version.ts";

// The section types, for the modules that import them with the model.
export type { Accessory } from "./accessory-model.ts";
export type { BootSettings } from "./boot-model.ts";
export type { LoggingSettings } from "./logging-model.ts";
export type { Raw } from "./raw.ts";
export type { Role } from "./role-model.ts";

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

    this.roles = buildRoles(this);
    this.accessories = Object.entries(hashOrEmpty(raw.accessories)).map(([name, a]) => buildAccessory(this, name, hashOrEmpty(a)));
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
}

function hooksOutput(raw: unknown): { all?: HookOutput; hooks: Record<string, HookOutput> } {
  const level = (v: unknown) => toText(v).replace(/^:/, "") as HookOutput;
  if (raw === undefined || raw === null) return { hooks: {} };
  if (isHash(raw)) return { hooks: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, level(v)])) };
  return { all: level(raw), hooks: {} };
}
