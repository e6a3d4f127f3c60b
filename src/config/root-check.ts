/** Checks of the top-level keys: destination, service and image, aliases, output, versions, hooks. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Add, toBlank } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { isHash } from "./schema/common.ts";

/** The Kamal version whose behaviour sextant follows (for minimum_version). */
const KAMAL_COMPAT_VERSION = "2.12.0";

/** Built-in commands an alias may not shadow. */
const BUILT_IN_COMMANDS = [
  "accessory",
  "app",
  "audit",
  "build",
  "config",
  "deploy",
  "details",
  "docs",
  "help",
  "init",
  "lock",
  "proxy",
  "prune",
  "redeploy",
  "registry",
  "remove",
  "rollback",
  "secrets",
  "server",
  "setup",
  "upgrade",
  "version",
];

const LEVELS = ["quiet", "verbose"];

/** Compare dotted versions like RubyGems (numeric segments). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A config with `require_destination: true` needs -d. */
export function checkDestination(config: SextantConfig, add: Add): void {
  if (config.requireDestination && !config.destination) {
    add(["require_destination"], "You must specify a destination", "pass -d NAME (e.g. -d staging); this config sets require_destination: true");
  }
}

/** `service` is set; `image` too, unless the registry is local. */
export function checkServiceAndImage(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (raw.service === undefined || toBlank(raw.service)) add(["service"], "Missing required configuration for service", "e.g. service: my-app");
  if ((raw.image === undefined || toBlank(raw.image)) && !config.registry.local) {
    add(["image"], "Missing required configuration for image", "e.g. image: my-user/my-app");
  }
}

/** Alias names are plain words and shadow no built-in command. */
export function checkAliases(config: SextantConfig, add: Add): void {
  for (const name of Object.keys(config.aliases)) {
    if (!/^[a-z0-9_-]+$/.test(name)) add(["aliases", name], "Invalid alias name, can only contain lowercase letters, numbers, dashes and underscores");
    else if (BUILT_IN_COMMANDS.includes(name)) add(["aliases", name], `Alias '${name}' conflicts with a built-in command.`, "pick another name");
  }
}

/** output.otel needs an endpoint, output.file a path. */
export function checkOutput(config: SextantConfig, add: Add): void {
  if (config.output.otel && !config.output.otel.endpoint) add(["output", "otel"], "OTel endpoint is required", "e.g. endpoint: http://otel-gateway:4318");
  if (config.output.file && !config.output.file.path) add(["output", "file"], "file path is required", "e.g. path: log/kamal");
}

/** minimum_version is one sextant meets; at least one container retained; a service name Docker accepts. */
export function checkVersionsAndNames(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (config.minimumVersion && compareVersions(config.minimumVersion, KAMAL_COMPAT_VERSION) > 0) {
    add(["minimum_version"], `Current version is ${KAMAL_COMPAT_VERSION}, minimum required is ${config.minimumVersion}`, `sextant implements Kamal ${KAMAL_COMPAT_VERSION}`);
  }
  if (config.retainContainers < 1) add(["retain_containers"], "Must retain at least 1 container");
  if (raw.service !== undefined && !toBlank(raw.service) && !/^[a-z0-9_-]+$/i.test(config.service)) {
    add(["service"], "Service name can only include alphanumeric characters, hyphens, and underscores", "e.g. service: my-app");
  }
}

/** Hooks named for Traefik (Kamal 1) must be renamed. */
export function checkTraefikHooks(config: SextantConfig, add: Add): void {
  const hooks = ["pre-traefik-reboot", "post-traefik-reboot"].filter((h) => existsSync(resolve(config.cwd, join(config.hooksPath, h))));
  if (hooks.length > 0) add(["hooks_path"], `Found ${hooks.join(", ")}, these should be renamed to (pre|post)-proxy-reboot`);
}

/** hooks_output levels are quiet or verbose. */
export function checkHooksOutput(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  const ho = raw.hooks_output;
  if (ho !== undefined) {
    if (isHash(ho)) {
      for (const [hook, level] of Object.entries(ho)) {
        if (!LEVELS.includes(String(level))) add(["hooks_output", hook], `Invalid hooks_output '${level}' for hook '${hook}', must be one of: quiet, verbose`);
      }
    } else if (!LEVELS.includes(String(ho))) add(["hooks_output"], `Invalid hooks_output '${ho}', must be one of: quiet, verbose`);
  }
}
