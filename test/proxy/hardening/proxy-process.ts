/**
 * The proxy as its own process (`src/main.ts proxy-server run`), for tests that kill it, limit its
 * descriptors or read its memory. Each test file calls `afterEach(killProxyProcesses)` itself: helpers'
 * cleanup hook is registered once per test process, and a child left running would outlive `bun test`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runProxyCli } from "../../../proxy/cli.ts";
import { sleep } from "../helpers.ts";

const MAIN = join(import.meta.dir, "../../../src/main.ts");
const running = new Set<Subprocess>();
const dirs: string[] = [];

export async function killProxyProcesses(): Promise<void> {
  for (const proc of running) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  running.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export function tempHome(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export interface ProxyProcess {
  proc: Subprocess;
  port: number;
  env: Record<string, string | undefined>;
  cli(...args: string[]): Promise<number>;
}

/** Start a proxy process with HOME `home` on `port`; `limitFds` runs it under `ulimit -n`. */
export async function spawnProxyProcess(home: string, port: number, opts: { flags?: string[]; limitFds?: number } = {}): Promise<ProxyProcess> {
  const env = { ...process.env, HOME: home, KAMAL_PROXY_SOCKET: join(home, "kamal-proxy.sock"), KAMAL_PROXY_HTTP_PORT: String(port), KAMAL_PROXY_HTTPS_PORT: "0" };
  const argv = ["bun", MAIN, "proxy-server", "run", ...(opts.flags ?? [])];
  const cmd = opts.limitFds ? ["sh", "-c", `ulimit -n ${opts.limitFds} && exec "$@"`, "sh", ...argv] : argv;
  const proc = Bun.spawn(cmd, { env, stdout: "ignore", stderr: "ignore" });
  running.add(proc);
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.status === 404) break;
    await sleep(30);
  }
  const cli = (...args: string[]) => runProxyCli(args, "kamal-proxy", { out: () => {}, err: () => {} }, env);
  return { proc, port, env, cli };
}
