/**
 * Hooks run locally (Kamal's commands/hook.rb). This module only computes what to run and with which
 * environment; whether the file exists, and running it, is the caller's business.
 */
import type { SextantConfig } from "../config/model.ts";

export type HookConfig = Pick<SextantConfig, "service" | "destination" | "version" | "abbreviatedVersion" | "hooksPath">;

export const HOOK_NAMES = ["docker-setup", "pre-connect", "pre-build", "pre-deploy", "post-deploy", "pre-app-boot", "post-app-boot", "pre-proxy-reboot", "post-proxy-reboot"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Hooks that also get every secret from the secrets files in their environment. */
export const HOOKS_WITH_SECRETS: ReadonlySet<string> = new Set(["pre-connect", "pre-deploy", "post-deploy"]);

export interface HookRun {
  /** UTC ISO-8601 seconds. */
  recordedAt: string;
  /** `git config user.email`, or `whoami`. */
  performer: string;
  /** Selected hosts (or the boot/reboot group). */
  hosts: readonly string[];
  /** Only when `--roles` was given. */
  roles?: readonly string[];
  /** Whether this process holds the deploy lock. */
  lock: boolean;
  /** Top-level command (`deploy`) or group (`app`). */
  command: string;
  /** Only for group commands (`boot`). */
  subcommand?: string;
  /** Seconds, post-deploy only. */
  runtime?: number;
  /** Secret values, exported for HOOKS_WITH_SECRETS only. */
  secrets?: Readonly<Record<string, string>>;
}

/** `<hooks_path>/<name>` */
export function hookFile(config: Pick<HookConfig, "hooksPath">, name: string): string {
  return `${config.hooksPath}/${name}`;
}

/** The variables added to the hook's environment. */
export function hookEnv(config: HookConfig, name: string, run: HookRun): Record<string, string> {
  const env: Record<string, string> = {};
  if (HOOKS_WITH_SECRETS.has(name)) Object.assign(env, run.secrets ?? {});
  env.KAMAL_RECORDED_AT = run.recordedAt;
  env.KAMAL_PERFORMER = run.performer;
  if (config.destination !== undefined) env.KAMAL_DESTINATION = config.destination;
  env.KAMAL_VERSION = config.version;
  env.KAMAL_SERVICE_VERSION = `${config.service}@${config.abbreviatedVersion}`;
  env.KAMAL_SERVICE = config.service;
  env.KAMAL_HOSTS = run.hosts.join(",");
  if (run.roles !== undefined && run.roles.length > 0) env.KAMAL_ROLES = run.roles.join(",");
  env.KAMAL_LOCK = String(run.lock);
  env.KAMAL_COMMAND = run.command;
  if (run.subcommand !== undefined) env.KAMAL_SUBCOMMAND = run.subcommand;
  if (run.runtime !== undefined) env.KAMAL_RUNTIME = String(Math.round(run.runtime));
  return env;
}
