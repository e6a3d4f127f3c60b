/** kamal-proxy's path rules for the control socket and the data directory (state file). */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

export function socketPath(env: Env): string {
  if (env.KAMAL_PROXY_SOCKET) return env.KAMAL_PROXY_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "kamal-proxy.sock");
  return join(env.TMPDIR || tmpdir(), "kamal-proxy.sock");
}

/** `$HOME/.config/kamal-proxy` (mode 0700), or the temp dir when HOME is unknown or unusable. */
export function dataDir(env: Env): string {
  const fallback = env.TMPDIR || tmpdir();
  if (!env.HOME) return fallback;
  const dir = join(env.HOME, ".config", "kamal-proxy");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return fallback;
  }
}

export const stateFilePath = (dir: string): string => join(dir, "kamal-proxy.state");
