/** `sshkit`: connection pool settings. */
import { type AnySchema, hash, int } from "./common.ts";

export function sshkitSchema(): AnySchema {
  return hash({
    max_concurrent_starts: int("e.g. max_concurrent_starts: 10"),
    pool_idle_timeout: int("seconds, e.g. pool_idle_timeout: 300"),
    dns_retries: int("e.g. dns_retries: 3"),
  });
}
