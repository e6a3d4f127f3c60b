/** Checks of the `ssh:` section. */
import { type Add, describeValue } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { isHash } from "./schema/common.ts";

/** The port is a port number (stricter than Kamal, which passes it on as written). */
export function checkSsh(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (isHash(raw.ssh) && raw.ssh.port !== undefined) {
    const port = Number(raw.ssh.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) add(["ssh", "port"], `should be a port number, got ${describeValue(raw.ssh.port)}`, "e.g. port: 2222");
  }
}
