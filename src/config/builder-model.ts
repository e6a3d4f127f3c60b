/** The builder: which arches are built where, and the builder's kind and name (Kamal's Builder). */

import { toText } from "./env-model.ts";
import { isHash } from "./schema/common.ts";

type BuilderKind = "local" | "remote" | "hybrid" | "pack" | "cloud";

/** How the built image reaches the servers: pushed to and pulled from a registry, or sent over SSH. */
type Delivery = "registry" | "ssh";

export interface BuilderSettings {
  arches: string[];
  remote?: string;
  /** False forces every arch to the remote builder. */
  local: boolean;
  driver: string;
  /** `driver: docker`: the default builder, no --builder, nothing to create. */
  dockerDriver: boolean;
  pack?: { builder: string; buildpacks: string[] };
  cache?: { type: string; options?: string; image?: string };
  context?: string;
  /** True when the build uses a fresh git clone of HEAD (no `context`). */
  gitClone: boolean;
  dockerfile: string;
  target?: string;
  args: Record<string, string>;
  /** Secret names exported into the build. */
  secrets: string[];
  ssh?: string;
  provenance?: string | boolean;
  sbom?: string | boolean;
  /** `delivery: ssh`: loaded into the local engine, then only the layers each server lacks go over SSH. */
  delivery: Delivery;
  /** Arches built by the local Docker (given the local Docker arch, amd64/arm64). */
  localArches(localArch: string): string[];
  remoteArches(localArch: string): string[];
  kind(localArch: string): BuilderKind;
  /** The buildx builder name (for `--builder`), undefined with the docker driver. */
  name(localArch: string): string | undefined;
  raw: Record<string, unknown>;
}

function sanitizeRemote(remote: string): string {
  return remote.replace(/[^a-z0-9_-]/g, "-");
}

export function builderSettings(raw: Record<string, unknown>, localRegistry: boolean): BuilderSettings {
  const arches = Array.isArray(raw.arch) ? raw.arch.map(toText) : raw.arch === undefined ? [] : [toText(raw.arch)];
  const remote = raw.remote === undefined ? undefined : toText(raw.remote);
  const local = raw.local !== false;
  const driver = raw.driver === undefined ? "docker-container" : toText(raw.driver);
  const pack = isHash(raw.pack) ? { builder: toText(raw.pack.builder), buildpacks: Array.isArray(raw.pack.buildpacks) ? raw.pack.buildpacks.map(toText) : [] } : undefined;
  const cache = isHash(raw.cache)
    ? {
        type: toText(raw.cache.type),
        options: raw.cache.options === undefined ? undefined : toText(raw.cache.options),
        image: raw.cache.image === undefined ? undefined : toText(raw.cache.image),
      }
    : undefined;
  const context = raw.context === undefined ? undefined : toText(raw.context);
  const args: Record<string, string> = {};
  if (isHash(raw.args)) for (const [k, v] of Object.entries(raw.args)) args[k] = toText(v);
  const optionalText = (v: unknown) => (v === undefined ? undefined : typeof v === "boolean" ? v : toText(v));
  const suffix = localRegistry ? "-local-registry" : "";
  const settings: BuilderSettings = {
    arches,
    remote,
    local,
    driver,
    dockerDriver: driver === "docker",
    pack,
    cache,
    context,
    gitClone: context === undefined,
    dockerfile: raw.dockerfile === undefined ? "Dockerfile" : toText(raw.dockerfile),
    target: raw.target === undefined ? undefined : toText(raw.target),
    args,
    secrets: Array.isArray(raw.secrets) ? raw.secrets.map(toText) : [],
    ssh: raw.ssh === undefined ? undefined : toText(raw.ssh),
    provenance: optionalText(raw.provenance),
    sbom: optionalText(raw.sbom),
    delivery: raw.delivery === "ssh" ? "ssh" : "registry",
    localArches(localArch) {
      if (!local) return [];
      return remote ? arches.filter((a) => a === localArch) : [...arches];
    },
    remoteArches(localArch) {
      if (!remote) return [];
      const l = settings.localArches(localArch);
      return arches.filter((a) => !l.includes(a));
    },
    kind(localArch) {
      if (settings.remoteArches(localArch).length > 0) return settings.localArches(localArch).length > 0 ? "hybrid" : "remote";
      if (pack) return "pack";
      if (driver.startsWith("cloud")) return "cloud";
      return "local";
    },
    name(localArch) {
      switch (settings.kind(localArch)) {
        case "remote":
          return `kamal-remote-${sanitizeRemote(remote!)}${suffix}`;
        case "hybrid":
          return `kamal-hybrid-${driver}-${sanitizeRemote(remote!)}${suffix}`;
        case "cloud":
          return driver.replace(/[ /]/g, "-");
        case "pack":
          return undefined;
        default:
          return settings.dockerDriver ? undefined : localRegistry ? `kamal-local-registry-${driver}` : `kamal-local-${driver}`;
      }
    },
    raw,
  };
  return settings;
}
