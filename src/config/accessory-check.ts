/** Checks of the `accessories:` section: image, exactly one way to name hosts, known roles, labels, registry. */
import { type Add, reservedLabels, toBlank } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { registryCredentialProblems } from "./registry-check.ts";
import { isHash } from "./schema/common.ts";

const HOST_KEYS = ["host", "hosts", "role", "roles", "tag", "tags"];

/** Every accessory: an image, one of host/hosts/role/roles/tag/tags, roles that exist, no reserved labels, registry credentials. */
export function checkAccessories(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (isHash(raw.accessories)) {
    for (const [name, acc] of Object.entries(raw.accessories)) {
      if (!isHash(acc)) continue;
      const path = ["accessories", name];
      if (acc.image === undefined || toBlank(acc.image)) add(path, "image is required", "e.g. image: mysql:8.0 (Kamal would only fail when booting it)");
      const given = HOST_KEYS.filter((k) => k in acc);
      if (given.length !== 1) {
        add(path, "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`", given.length > 1 ? `found ${given.join(", ")}; keep one` : "e.g. host: 192.168.0.5");
      }
      const roleNames = config.roles.map((r) => r.name);
      if (Array.isArray(acc.roles)) {
        const missing = acc.roles.map(String).filter((r) => !roleNames.includes(r));
        if (missing.length > 0) add([...path, "roles"], `unknown roles ${missing.join(", ")}`, `roles: ${roleNames.join(", ")}`);
      } else if (acc.role !== undefined && !roleNames.includes(String(acc.role))) {
        add([...path, "role"], `unknown role ${acc.role}`, `roles: ${roleNames.join(", ")}`);
      }
      if (isHash(acc.labels)) reservedLabels(acc.labels, [...path, "labels"], add);
      if (isHash(acc.registry) && !config.accessory(name)?.registry?.local) registryCredentialProblems(acc.registry, [...path, "registry"], add);
    }
  }
}
