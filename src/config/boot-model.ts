/** The `boot:` section: how many hosts boot at a time, the wait between groups, roles in parallel. */
import type { Raw } from "./raw.ts";

export interface BootSettings {
  /** Hosts booted at a time (percentages resolved over all hosts, at least 1); undefined = all. */
  limit?: number;
  wait?: number;
  parallelRoles: boolean;
}

export function bootSettings(raw: Raw, hostCount: number): BootSettings {
  const limit = raw.limit;
  let resolved: number | undefined;
  if (typeof limit === "number") resolved = limit;
  else if (typeof limit === "string" && limit.trim().endsWith("%")) resolved = Math.max(Math.floor((hostCount * parseInt(limit, 10)) / 100), 1);
  return { limit: resolved, wait: typeof raw.wait === "number" ? raw.wait : undefined, parallelRoles: raw.parallel_roles === true };
}
