#!/usr/bin/env bun
/**
 * The profile behind the executable's bytecode layout (scripts/build). A binary built with `--bytecode`
 * and run with BUN_BYTECODE_ORDER_OUT set writes which of its functions ran; a build given that file
 * (`--bytecode-order`) puts their bytecode together at the front, so a process touches fewer pages of
 * its executable. The proxy is the process that stays up on every server, so the profile is its run at
 * rest: start, a 404, a deploy with its health checks, a small and a 64 KiB GET, a second of health
 * checks, a graceful stop. (proxy/README.md, "Memory", has what it saves.)
 *
 *   bun scripts/bytecode-profile.ts BINARY OUT
 *
 * Everything runs on loopback with a throwaway HOME, and is stopped and removed at the end. Exits non-zero
 * with one line on stderr when the profile could not be taken; the build then goes on without it.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/support/free-port.ts";

const [binary, out] = process.argv.slice(2);
if (!binary || !out) {
  console.error("usage: bun scripts/bytecode-profile.ts BINARY OUT");
  process.exit(2);
}

const home = mkdtempSync(join(tmpdir(), "sextant-profile-"));
const env = { ...process.env, HOME: home, XDG_RUNTIME_DIR: home };
const upstream = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req) => new Response(new URL(req.url).pathname === "/large" ? "x".repeat(64 * 1024) : "x".repeat(100)),
});
const port = await freePort();
const proxy = Bun.spawn([binary, "proxy-server", "run", `--http-port=${port}`, `--https-port=${await freePort()}`], {
  env: { ...env, BUN_BYTECODE_ORDER_OUT: out },
  stdout: "ignore",
  stderr: "pipe",
});

async function get(path: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    async (r) => (await r.arrayBuffer(), r.status),
    () => 0,
  );
}

try {
  let status = 0;
  for (let i = 0; i < 100 && status === 0; i++) {
    if (proxy.exitCode !== null) throw new Error(`the proxy exited: ${(await new Response(proxy.stderr).text()).trim()}`);
    status = await get("/");
    if (status === 0) await Bun.sleep(50);
  }
  if (status !== 404) throw new Error(`the proxy did not answer on port ${port}`);
  // Not spawnSync: the upstream answering the deploy's health checks runs in this process.
  const deploy = Bun.spawn([binary, "proxy-server", "deploy", "profile", `--target=127.0.0.1:${upstream.port}`], { env, stdout: "ignore", stderr: "pipe", timeout: 30_000 });
  if ((await deploy.exited) !== 0) throw new Error(`the deploy failed: ${(await new Response(deploy.stderr).text()).trim()}`);
  for (const path of ["/small", "/large"]) {
    const answered = await get(path);
    if (answered !== 200) throw new Error(`GET ${path} answered ${answered}`);
  }
  await Bun.sleep(1200);
  proxy.kill("SIGTERM");
  if ((await proxy.exited) !== 0) throw new Error(`the proxy stopped with code ${proxy.exitCode}`);
  if (!statSync(out, { throwIfNoEntry: false })?.size) throw new Error(`the proxy wrote no profile to ${out}`);
} catch (e) {
  console.error(`bytecode-profile: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  proxy.kill("SIGKILL");
  await proxy.exited;
  upstream.stop(true);
  rmSync(home, { recursive: true, force: true });
}
