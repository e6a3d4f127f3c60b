/**
 * Checks of the `builder:` section (Kamal's builder validator). Kept apart from builder-model.ts so
 * the model and its checks change independently.
 */
import type { Add } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { isHash } from "./schema/common.ts";

/** An arch is set and supported; local builds off only with a remote; a known cache type; one arch for buildpacks. */
export function checkBuilder(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  const builder = isHash(raw.builder) ? raw.builder : undefined;
  const arches = config.builder.arches;
  if (arches.length === 0 || arches.every((a) => a.trim() === "")) {
    add(["builder"], "Builder arch not set", "e.g. builder: { arch: amd64 } (or arch: [ amd64, arm64 ])");
  } else {
    arches.forEach((arch, i) => {
      if (arch !== "amd64" && arch !== "arm64") add(["builder", "arch", ...(Array.isArray(builder?.arch) ? [i] : [])], `unsupported arch ${JSON.stringify(arch)}`, "allowed values are amd64 and arm64");
    });
  }
  if (builder) {
    if (builder.local === false && builder.remote === undefined) add(["builder", "local"], "Cannot disable local builds, no remote is set", "set builder.remote, or remove local: false");
    if (isHash(builder.cache) && !["gha", "registry"].includes(String(builder.cache.type))) {
      add(["builder", "cache", "type"], `Invalid cache type: ${builder.cache.type ?? ""}`, "the type must be gha or registry");
    }
    if (isHash(builder.pack) && arches.length > 1) add(["builder", "pack"], "buildpacks only support building for one arch");
    checkDelivery(config, builder, add);
  }
}

/** With `delivery: ssh` the app needs no registry (checkRegistry asks this). */
export function registryRequired(config: SextantConfig): boolean {
  return config.builder.delivery !== "ssh";
}

/** `delivery`: registry or ssh; ssh sends one locally built image, so one arch, no local registry, no pack. */
function checkDelivery(config: SextantConfig, raw: Record<string, unknown>, add: Add): void {
  const value = raw.delivery;
  if (value === undefined) return;
  if (value !== "registry" && value !== "ssh") {
    add(["builder", "delivery"], `Invalid delivery: ${String(value)}`, "use delivery: ssh (send the image over SSH, no registry) or delivery: registry (the default)");
    return;
  }
  if (value !== "ssh") return;
  const builder = config.builder;
  if (builder.arches.length > 1) {
    add(
      ["builder", "delivery"],
      "delivery: ssh sends one image built into the local Docker, so it builds for one arch only",
      `set builder.arch to the servers' arch (one of ${builder.arches.join(", ")}), or use delivery: registry`,
    );
  }
  if (config.registry.local) {
    add(["builder", "delivery"], "delivery: ssh needs no registry, but registry.server is a local registry", "remove the registry section (or its server), or use delivery: registry");
  }
  if (builder.pack) add(["builder", "delivery"], "delivery: ssh does not work with buildpacks (pack) yet", "use delivery: registry with pack");
}

/** A local registry reaches a remote builder through an SSH tunnel, so the remote must be an SSH URL. */
export function checkRemoteBuilderWithLocalRegistry(config: SextantConfig, add: Add): void {
  if (config.registry.local && config.builder.remote !== undefined && !config.builder.remote.startsWith("ssh://")) {
    add(["builder", "remote"], "Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)");
  }
}
