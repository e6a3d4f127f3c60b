/** Checks of the `servers:` section: the primary role and its hosts, empty roles, labels, replicas. */
import { type Add, reservedLabels } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { isHash } from "./schema/common.ts";

/** Servers (or accessories) are given; the primary role exists and has hosts; no role is empty unless allowed. */
export function checkServers(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (raw.servers === undefined || raw.servers === null) {
    if (!isHash(raw.accessories) || Object.keys(raw.accessories).length === 0) {
      add(["servers"], "No servers or accessories specified", "e.g. servers: [ 192.168.0.1 ]");
    }
  } else {
    const primary = config.primaryRole;
    if (!primary) {
      add(
        raw.primary_role === undefined ? ["servers"] : ["primary_role"],
        `The primary_role ${config.primaryRoleName} isn't defined`,
        `roles: ${config.roles.map((r) => r.name).join(", ") || "none"}; set primary_role to one of them`,
      );
    } else if (primary.hosts.length === 0) {
      add(["servers", ...(Array.isArray(raw.servers) ? [] : [primary.name])], `No servers specified for the ${primary.name} primary_role`);
    }
    if (!config.allowEmptyRoles) {
      for (const role of config.roles) {
        if (role.hosts.length === 0 && !(primary && role.name === primary.name)) {
          add(["servers", role.name], `No servers specified for the ${role.name} role. You can ignore this with allow_empty_roles: true`);
        }
      }
    }
  }
}

/** Per role: no reserved labels; replicas between 1 and 32, and none that publish ports. */
export function checkRoles(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (isHash(raw.servers)) {
    for (const [name, role] of Object.entries(raw.servers)) {
      if (!isHash(role)) continue;
      if (isHash(role.labels)) reservedLabels(role.labels, ["servers", name, "labels"], add);
      if (typeof role.replicas === "number" && (!Number.isInteger(role.replicas) || role.replicas < 1 || role.replicas > 32)) {
        add(["servers", name, "replicas"], `replicas must be a whole number from 1 to 32 (got ${role.replicas})`, "e.g. replicas: 3");
      }
      // Published ports would clash between the replicas of one host.
      if (typeof role.replicas === "number" && role.replicas > 1 && isHash(role.options) && ("publish" in role.options || "p" in role.options)) {
        add(["servers", name, "replicas"], "replicas cannot publish ports: they would clash on the host", "let the proxy reach the replicas, or use one replica");
      }
    }
  }
}
