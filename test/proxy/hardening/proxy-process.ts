/**
 * The proxy as its own process (`src/main.ts proxy-server run`), for tests that kill it, limit its
 * descriptors or read its memory. The process and its temp home are stopped and removed by the test
 * file's cleanup scope (`cleanupScope()` in helpers), and killed at exit in case `bun test` itself
 * ends early, so no child outlives the run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runProxyCli } from "../../../proxy/cli/main.ts";
import { within } from "../../support/wait.ts";
import { onCleanup } from "../helpers.ts";

const MAIN = join(import.meta.dir, "../../../src/main.ts");
const running = new Set<Subprocess>();
process.once("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

export function tempHome(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ProxyProcess {
  proc: Subprocess;
  port: number;
  env: Record<string, string | undefined>;
  cli(...args: string[]): Promise<number>;
}

/**
 * Start a proxy process with HOME `home`; `limitFds` runs it under `ulimit -n`. It listens on a port
 * the kernel picks (port 0), read from its "Server started" log line, so no port is ever guessed.
 */
export async function spawnProxyProcess(home: string, opts: { flags?: string[]; limitFds?: number } = {}): Promise<ProxyProcess> {
  const env = { ...process.env, HOME: home, KAMAL_PROXY_SOCKET: join(home, "kamal-proxy.sock"), KAMAL_PROXY_HTTP_PORT: "0", KAMAL_PROXY_HTTPS_PORT: "0" };
  const argv = ["bun", MAIN, "proxy-server", "run", ...(opts.flags ?? [])];
  const cmd = opts.limitFds ? ["sh", "-c", `ulimit -n ${opts.limitFds} && exec "$@"`, "sh", ...argv] : argv;
  const proc = Bun.spawn(cmd, { env, stdout: "pipe", stderr: "ignore" });
  running.add(proc);
  onCleanup(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
    running.delete(proc);
  });
  const port = await within(startedPort(proc.stdout as ReadableStream<Uint8Array>), 'the proxy process\'s "Server started" line');
  const cli = (...args: string[]) => runProxyCli(args, "kamal-proxy", { out: () => {}, err: () => {} }, env);
  return { proc, port, env, cli };
}

/** Reads log lines until "Server started", then keeps draining stdout so the child never blocks on a full pipe. */
async function startedPort(stdout: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the proxy process exited before it started listening");
    buffered += decoder.decode(value, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const entry = parseLogLine(line);
      if (entry?.msg === "Server started" && entry.http) {
        void (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done);
        })();
        return entry.http;
      }
    }
  }
}

function parseLogLine(line: string): { msg?: string; http?: number } | undefined {
  try {
    return JSON.parse(line);
  } catch {
    return undefined; // not a log line (a runtime warning, say)
  }
}
