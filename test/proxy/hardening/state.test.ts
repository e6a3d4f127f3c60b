/**
 * The state file and the control socket under crashes, full disks, damaged files and concurrent or hostile
 * local clients. Real proxy processes, a real tmpfs, real upstreams on 127.0.0.1.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_COMMAND_BYTES } from "../../../proxy/control-server.ts";
import { waitFor } from "../../support/wait.ts";
import { cleanupScope, type Harness, onCleanup, sleep, startProxy, upstream } from "../helpers.ts";
import { spawnProxyProcess, tempHome } from "./proxy-process.ts";

cleanupScope();

function stateDirOf(home: string): string {
  return join(home, ".config", "kamal-proxy");
}

test("kill -9 during a loop of deploys: after restart every route a deploy reported as saved answers", async () => {
  const home = tempHome("proxy-crash-");
  const up = upstream("crash-app");
  const first = await spawnProxyProcess(home);
  const saved: string[] = [];
  let stop = false;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const code = await first.cli("deploy", `svc-${i}`, `--target=${up.addr}`, `--host=h${i}.test`, "--force", "--drain-timeout=0s");
      if (code === 0) saved.push(`h${i}.test`);
      else break;
    }
  })();
  // Let enough deploys land that the state file is being rewritten continuously, then kill mid-loop.
  await waitFor(() => saved.length >= 15, "15 saved deploys", 20_000, 5);
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  stop = true;
  await loop;

  const text = readFileSync(join(stateDirOf(home), "kamal-proxy.state"), "utf8");
  expect(() => JSON.parse(text)).not.toThrow();
  const second = await spawnProxyProcess(home);
  for (const host of saved) {
    const res = await fetch(`http://127.0.0.1:${second.port}/`, { headers: { host } });
    expect({ host, status: res.status, body: await res.text() }).toEqual({ host, status: 200, body: "crash-app" });
  }
  // A temp file left by a write the kill interrupted is removed at start.
  expect(readdirSync(stateDirOf(home)).filter((f) => f.includes(".tmp"))).toEqual([]);
  second.proc.kill("SIGTERM");
  await second.proc.exited;
}, 40_000);

test.skipIf(process.getuid?.() !== 0)(
  "a full disk: the deploy fails and says why, the old state file is intact, a restart restores it",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "proxy-fulldisk-"));
    const stateDir = stateDirOf(join(dir, "home"));
    mkdirSync(stateDir, { recursive: true });
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", stateDir]);
    expect(mount.status).toBe(0);
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    onCleanup(() => spawnSync("umount", ["-l", stateDir]));
    let p = await startProxy({ dir });
    const a = upstream("app-a");
    const b = upstream("app-b");
    expect((await p.deploy("a", a.addr, "--host=a.test")).code).toBe(0);
    const before = readFileSync(join(stateDir, "kamal-proxy.state"), "utf8");
    // Fill the filesystem to the last byte.
    const filler = join(stateDir, "filler");
    writeFileSync(filler, "");
    const chunk = Buffer.alloc(4096, 1);
    for (;;) {
      try {
        writeFileSync(filler, chunk, { flag: "a" });
      } catch {
        break;
      }
    }
    for (let size = 1024; size >= 1; size >>= 1) {
      try {
        for (;;) writeFileSync(filler, Buffer.alloc(size, 1), { flag: "a" });
      } catch {
        // Next smaller size.
      }
    }

    const failed = await p.deploy("b", b.addr, "--host=b.test");
    expect(failed.code).toBe(1);
    expect(failed.err).toBe("Error: unable to save state: no space left on device\n");
    expect(readFileSync(join(stateDir, "kamal-proxy.state"), "utf8")).toBe(before);
    // The unsaved route is not served either: what runs is what a restart will restore.
    expect((await p.text("/", { host: "b.test" })).status).toBe(404);
    expect((await p.text("/", { host: "a.test" })).body).toBe("app-a");

    p = await p.restart();
    expect((await p.text("/", { host: "a.test" })).body).toBe("app-a");
    expect((await p.text("/", { host: "b.test" })).status).toBe(404);
    await p.stop();
  },
  20_000,
);

test("a state file that is not JSON: the proxy starts empty, keeps the file aside and never overwrites it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "proxy-corrupt-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = stateDirOf(join(dir, "home"));
  mkdirSync(stateDir, { recursive: true });
  const garbage = '[{"name":"web","options":{"hosts":["a.te';
  writeFileSync(join(stateDir, "kamal-proxy.state"), garbage);
  const p = await startProxy({ dir });
  const failure = p.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "Failed to restore saved state");
  expect(failure?.level).toBe("ERROR");
  expect(failure?.kept_as).toMatch(/kamal-proxy\.state\.corrupt-/);
  expect(readFileSync(failure!.kept_as, "utf8")).toBe(garbage);
  const up = upstream("fresh");
  expect((await p.deploy("fresh", up.addr)).code).toBe(0);
  expect(readFileSync(failure!.kept_as, "utf8")).toBe(garbage);
  expect(JSON.parse(readFileSync(join(stateDir, "kamal-proxy.state"), "utf8"))).toHaveLength(1);
  await p.stop();
});

test("a state file the proxy cannot read (a directory in its place) is kept aside too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "proxy-unreadable-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = stateDirOf(join(dir, "home"));
  mkdirSync(join(stateDir, "kamal-proxy.state", "inside"), { recursive: true });
  const p = await startProxy({ dir });
  const failure = p.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "Failed to read saved state");
  expect(failure?.kept_as).toMatch(/kamal-proxy\.state\.corrupt-/);
  expect(statSync(join(failure!.kept_as, "inside")).isDirectory()).toBe(true);
  expect((await p.deploy("fresh", upstream("fresh").addr)).code).toBe(0);
  expect(JSON.parse(readFileSync(join(stateDir, "kamal-proxy.state"), "utf8"))).toHaveLength(1);
  await p.stop();
});

test("one wrongly typed service: the proxy starts, the good services answer, the bad one is named in the log", async () => {
  const dir = mkdtempSync(join(tmpdir(), "proxy-badservice-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = stateDirOf(join(dir, "home"));
  mkdirSync(stateDir, { recursive: true });
  const good = upstream("good");
  const other = upstream("other");
  const entry = (name: string, host: string, target: string) => ({ name, options: { hosts: [host] }, target_options: {}, active_targets: [target] });
  const state = [
    entry("good", "good.test", good.addr),
    { ...entry("broken", "broken.test", good.addr), options: { hosts: 5 } },
    { ...entry("typo", "typo.test", good.addr), target_options: { health_check_config: { interval: "1s" } } },
    entry("other", "other.test", other.addr),
  ];
  writeFileSync(join(stateDir, "kamal-proxy.state"), JSON.stringify(state));
  const p = await startProxy({ dir });
  expect((await p.text("/", { host: "good.test" })).body).toBe("good");
  expect((await p.text("/", { host: "other.test" })).body).toBe("other");
  expect((await p.text("/", { host: "broken.test" })).status).toBe(404);
  const skipped = p.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "Skipped a service of the saved state");
  expect(skipped.map((l) => [l.service, l.error])).toEqual([
    ["broken", "options.hosts is not a list of strings"],
    ["typo", "target_options.health_check_config.interval is not a number"],
  ]);
  expect(p.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "Restored saved state")?.services).toEqual(["good", "other"]);
  await p.stop();
});

test("the control socket is 0600 under umask 000 and a command line without end is refused", async () => {
  const old = process.umask(0);
  let p: Harness;
  try {
    p = await startProxy();
  } finally {
    process.umask(old);
  }
  expect(statSync(p.socket).mode & 0o777).toBe(0o600);
  // Bun's socket.write takes what fits, so keep writing on drain until more than the limit has gone out.
  let left = MAX_COMMAND_BYTES + 4096;
  const pump = (s: { write(d: string): number }) => {
    while (left > 0) {
      const n = s.write("x".repeat(Math.min(left, 65536)));
      if (n <= 0) return;
      left -= n;
    }
  };
  const answer = await new Promise<string>((resolve) => {
    let out = "";
    void Bun.connect({
      unix: p.socket,
      socket: {
        open(s) {
          pump(s);
        },
        drain(s) {
          pump(s);
        },
        data(_s, d) {
          out += d.toString();
        },
        close: () => resolve(out),
        error: () => resolve(out),
      },
    });
    setTimeout(() => resolve(out), 5000);
  });
  expect(JSON.parse(answer)).toEqual({ ok: false, error: `command too long (limit ${MAX_COMMAND_BYTES} bytes)` });
  // The server still serves commands afterwards.
  expect((await p.cli("list")).code).toBe(0);
});

test("two deploys of one service at once run one after the other: the later command wins", async () => {
  const p = await startProxy();
  let slowHealthy = false;
  const slow = upstream("slow", (req) => {
    if (new URL(req.url).pathname === "/up") return new Response(null, { status: slowHealthy ? 200 : 503 });
    return new Response("slow");
  });
  const fast = upstream("fast");
  const first = p.deploy("web", slow.addr);
  await waitFor(() => slow.requests.length > 0, "the first deploy's health checks");
  const second = p.deploy("web", fast.addr);
  // Nothing outside the proxy shows that the second command is queued; this pause only makes the
  // overlap likely. Either order must end with "fast" serving, so the pause cannot make the test flaky.
  await sleep(150);
  slowHealthy = true;
  expect((await first).code).toBe(0);
  expect((await second).code).toBe(0);
  expect((await p.text("/")).body).toBe("fast");
  expect(JSON.parse(p.state.read()!)[0].active_targets).toEqual([fast.addr]);
});
