/** The `sshkit:` section (Kamal's Configuration::Sshkit): how the SSH pool opens and keeps connections. */
import type { Raw } from "./raw.ts";

export interface SshkitSettings {
  maxConcurrentStarts: number;
  /** Seconds. */
  poolIdleTimeout: number;
  dnsRetries: number;
  raw: Raw;
}

export function sshkitSettings(raw: Raw): SshkitSettings {
  const n = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  return { maxConcurrentStarts: n(raw.max_concurrent_starts, 30), poolIdleTimeout: n(raw.pool_idle_timeout, 900), dnsRetries: n(raw.dns_retries, 3), raw };
}
