/**
 * The slices of the configuration model the builders read, plus the few names the model does not
 * derive (they depend on per-run random values, which callers pass in).
 *
 * Builders take the model's own objects (`SextantConfig`, `Role`); the `Pick`s only document and
 * narrow what each builder needs, so tests and callers can also pass small literals.
 */
import type { Role, SextantConfig } from "../config/model.ts";
import type { ProxySettings } from "../config/proxy-model.ts";
import type { SshSettings } from "../config/ssh-model.ts";

/** What service-wide builders read (audit, lock, prune, images). */
export type ServiceConfig = Pick<SextantConfig, "service" | "destination" | "serviceAndDestination" | "runDirectory" | "repository" | "latestTag" | "latestImage" | "auditLogFile" | "lockDirectory">;

/** What app builders read from the root configuration. */
export type AppConfig = ServiceConfig &
  Pick<
    SextantConfig,
    | "version"
    | "absoluteImage"
    | "volumeArgs"
    | "appDirectory"
    | "appsDirectory"
    | "envDirectory"
    | "deployTimeout"
    | "drainTimeout"
    | "proxyAppConfigDirectory"
    | "proxyAppConfigContainerDirectory"
    | "errorPagesPath"
  >;

/** What app builders read from a role. */
export type AppRole = Pick<
  Role,
  | "name"
  | "containerPrefix"
  | "containerName"
  | "replicas"
  | "cmd"
  | "restart"
  | "labelArgs"
  | "optionArgs"
  | "logging"
  | "stopTimeout"
  | "assets"
  | "assetPath"
  | "assetExtractedDirectory"
  | "assetVolumeDirectory"
  | "envFile"
  | "runningProxy"
> & {
  readonly proxy?: ProxySettings;
  /** The role's env on a host; only the clear values are read here. */
  env(host: string): { readonly clear: Readonly<Record<string, string>> };
};

export type SshConfig = Pick<SshSettings, "user" | "port" | "proxy" | "keys" | "keysOnly" | "config">;

/** The network every app, exec and proxy container joins. */
export const NETWORK = "kamal";

/**
 * Hostname of an app container: the server name cut to 51 characters, a trailing `.` removed,
 * then `-` and 12 random hex characters (`hex12`, passed in so builders stay pure).
 */
export function containerHostname(host: string, hex12: string): string {
  return `${host.slice(0, 51).replace(/\.$/, "")}-${hex12}`;
}

/** `PREFIX-exec-V-<6 hex>`: the name of a one-off `app exec` container. */
export function execContainerName(role: Pick<Role, "containerPrefix">, version: string, hex6: string): string {
  return `${role.containerPrefix}-exec-${version}-${hex6}`;
}

/** `V_replaced_<16 hex>`: the version a clashing container is renamed to at boot. */
export function replacedVersion(version: string, hex16: string): string {
  return `${version}_replaced_${hex16}`;
}

/** `PREFIX-assets`: scratch container for copying assets out of the image. */
export function assetContainerName(role: Pick<Role, "containerPrefix">): string {
  return `${role.containerPrefix}-assets`;
}
