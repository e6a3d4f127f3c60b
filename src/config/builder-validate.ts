/** Checks of `builder.delivery` that need the rest of the config (called from validate.ts). */
import type { BuilderSettings } from "./builder-model.ts";
import type { RegistrySettings } from "./registry-model.ts";

type Add = (path: (string | number)[], message: string, hint?: string) => void;

/** With `delivery: ssh` the app needs no registry; every other value of the key is a mistake. */
export function registryRequired(builder: BuilderSettings): boolean {
  return builder.delivery !== "ssh";
}

export function deliveryProblems(raw: Record<string, unknown> | undefined, builder: BuilderSettings, registry: RegistrySettings, add: Add): void {
  const value = raw?.delivery;
  if (value === undefined) return;
  if (value !== "registry" && value !== "ssh") {
    add(["builder", "delivery"], `Invalid delivery: ${String(value)}`, "use delivery: ssh (send the image over SSH, no registry) or delivery: registry (the default)");
    return;
  }
  if (value !== "ssh") return;
  if (builder.arches.length > 1) {
    add(["builder", "delivery"], "delivery: ssh sends one image built into the local Docker, so it builds for one arch only", `set builder.arch to the servers' arch (one of ${builder.arches.join(", ")}), or use delivery: registry`);
  }
  if (registry.local) {
    add(["builder", "delivery"], "delivery: ssh needs no registry, but registry.server is a local registry", "remove the registry section (or its server), or use delivery: registry");
  }
  if (builder.pack) add(["builder", "delivery"], "delivery: ssh does not work with buildpacks (pack) yet", "use delivery: registry with pack");
}
