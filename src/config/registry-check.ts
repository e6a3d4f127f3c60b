/** Checks of the `registry:` section (and an accessory's own registry). */
import { registryRequired } from "./builder-check.ts";
import { type Add, toBlank } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { isHash } from "./schema/common.ts";
import type { Path } from "./yaml.ts";

/** A registry is required (not with builder.delivery: ssh); unless it is local, with a username and a password. */
export function checkRegistry(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (raw.registry === undefined && registryRequired(config)) add(["registry"], "Missing required configuration for registry", "e.g. registry: { username: my-user, password: [ KAMAL_REGISTRY_PASSWORD ] }");
  else if (!config.registry.local) registryCredentialProblems(raw.registry, ["registry"], add);
}

/** Both credentials of a registry hash are set. */
export function registryCredentialProblems(registry: unknown, path: Path, add: Add): void {
  if (!isHash(registry)) return;
  for (const key of ["username", "password"]) {
    const value = registry[key];
    if (value === undefined || toBlank(value)) {
      add([...path, key], "is required", key === "password" ? "e.g. password: [ KAMAL_REGISTRY_PASSWORD ] (a secret from .kamal/secrets)" : "e.g. username: my-user");
    }
  }
}
