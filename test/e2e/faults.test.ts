/**
 * What real networks and servers do to a deploy, on the bed (three web hosts behind their proxies):
 * two deploys started at once, an SSH session killed under a pull, a host's network cut for a few
 * seconds, dockerd restarted, the proxy killed under load, a full disk. Each asserts what the user
 * sees, that no secret is printed, that the lock is released, that the running version keeps
 * serving where nothing failed, and that a re-run converges.
 *
 * Decided behaviour: idempotent steps (the pull, checks) are run again when the connection was
 * lost under them; steps that are not safe to repeat (starting a container, switching the proxy)
 * fail that host with its error, the other hosts finish, and the next deploy completes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, repoRoot, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const [h1, h2, h3] = bed.hosts as [string, string, string];
const SERVICE = "faults";
const SECRET = `fault-secret-${Math.random().toString(36).slice(2)}`;
const RUN_DIR = process.env.TESTBED_RUN ?? `/run/sextant-testbed/${bed.name}`;
/** Host 3's Docker keeps its data on a small disk of its own (for the disk-full case). */
const DISK_MB = 400;

let project: Project;
let version = "";

async function sextant(args: string[]) {
  const result = await project.sextant(args, { env: { FAULT_SECRET_VALUE: SECRET } });
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

const hostIndex = (host: string) => bed.hosts.indexOf(host) + 1;
const testbedCmd = (...args: string[]) => run([join(repoRoot, "scripts/testbed"), ...args], { env: { TESTBED_NAME: bed.name, TESTBED_NET: process.env.TESTBED_NET ?? "" }, timeoutMs: 120_000 });
const auditLog = (host: string) => join(bed.dir, `host${hostIndex(host)}`, "root/.kamal", `${SERVICE}-audit.log`);
const sshdPid = (host: string) => readFileSync(join(RUN_DIR, `host${hostIndex(host)}`, "sshd.pid"), "utf8").trim();

/** Resolve once `predicate` holds (polled every `everyMs`), or reject after `timeoutMs`. */
async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const auditSays = (host: string, text: string) => () => existsSync(auditLog(host)) && readFileSync(auditLog(host), "utf8").includes(text);

async function lockFree(): Promise<boolean> {
  const status = await sextant(["lock", "status"]);
  return status.code === 0 && status.stdout.includes("There is no deploy lock");
}

async function allServe(label: string): Promise<void> {
  for (const host of bed.hosts) expect(await served(host)).toBe(label);
}

beforeAll(async () => {
  expect((await testbedCmd("disk", String(hostIndex(h3)), String(DISK_MB))).code).toBe(0);
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [h1, h2, h3] }, extra: "env:\n  secret:\n    - FAULT_SECRET\n" }),
    ".kamal/secrets": `${SECRETS}FAULT_SECRET=$FAULT_SECRET_VALUE\n`,
  });
  version = await release(project, SERVICE, "one");
  const setup = await sextant(["setup"]);
  expect(setup.code, setup.output).toBe(0);
}, 300_000);

afterAll(async () => {
  await project?.sextant(["remove", "-y"]).catch(() => undefined);
  project?.cleanup();
}, 120_000);

describe("faults", () => {
  test("two deploys started at the same moment: one proceeds, the other fails at once naming the holder", async () => {
    version = await release(project, SERVICE, "two");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const [a, b] = await Promise.all([sextant(["deploy", "-P", "-v"]), sextant(["deploy", "-P", "-v"])]);
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    expect(winner.code, winner.output).toBe(0);
    expect(loser.code).toBe(1);
    expect(loser.stderr).toContain(`Deploy lock found on ${h1}:`);
    expect(loser.stderr).toContain("Locked by:");
    // The loser changed nothing on any server: no pull, no container, no proxy switch.
    expect(loser.output).not.toMatch(/docker pull|docker run|kamal-proxy deploy/);
    await allServe("two");
    expect(await lockFree()).toBe(true);
  }, 180_000);

  test("the SSH session killed under a pull: the pull runs again and the deploy completes", async () => {
    version = await release(project, SERVICE, "three");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const ns = `${bed.name}-h${hostIndex(h3)}`;
    let killed = false;
    // Find host 3's `docker pull` of this version (by its network namespace) and kill every SSH
    // session of host 3's sshd at that moment.
    const killer = until(
      "the pull on host 3",
      async () => {
        const pids = (await run(["pgrep", "-f", `docker pull ${bed.registry}/e2e/${SERVICE}:${version}`])).stdout.trim().split("\n").filter(Boolean);
        for (const pid of pids) {
          if ((await run(["ip", "netns", "identify", pid])).stdout.trim() !== ns) continue;
          await run(["pkill", "-KILL", "-P", sshdPid(h3)]);
          killed = true;
          return true;
        }
        return false;
      },
      60_000,
      10,
    );
    const load = continuousLoad([`http://${h1}/`, `http://${h2}/`]);
    const result = await sextant(["deploy", "-P"]);
    const stats = await load.stop();
    await killer.catch(() => undefined);
    expect(killed).toBe(true);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`${h3}: the connection was lost during the pull; reconnecting and running it again`);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    await allServe("three");
    expect(await lockFree()).toBe(true);
  }, 180_000);

  test("host 2's network cut for 4 s while it boots: it recovers or fails clearly, the others finish, a re-run converges", async () => {
    version = await release(project, SERVICE, "four");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const link = `${bed.name}v${hostIndex(h2)}`;
    const cut = until("host 2 booting", auditSays(h2, `Booted app version ${version}`), 120_000).then(async () => {
      await run(["ip", "link", "set", link, "down"]);
      await new Promise((r) => setTimeout(r, 4000));
      await run(["ip", "link", "set", link, "up"]);
    });
    const load = continuousLoad([`http://${h1}/`, `http://${h3}/`]);
    const result = await sextant(["deploy", "-P"]);
    const stats = await load.stop();
    await cut;
    if (result.code !== 0) {
      expect(result.stderr).toContain(h2);
      expect(result.stderr).not.toContain("This looks like a bug");
      const again = await sextant(["deploy", "-P"]);
      expect(again.code, again.output).toBe(0);
    }
    console.log(`network cut: first deploy exit ${result.code}; requests to the other hosts: ${JSON.stringify(stats)}`);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    await allServe("four");
    expect(await lockFree()).toBe(true);
  }, 240_000);

  test("dockerd restarted on host 3 mid-deploy: the proxy and the app come back, a re-run converges", async () => {
    version = await release(project, SERVICE, "five");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const restart = until("host 3 booting", auditSays(h3, `Booted app version ${version}`), 120_000).then(() => testbedCmd("docker-restart", String(hostIndex(h3))));
    const result = await sextant(["deploy", "-P"]);
    const restarted = await restart;
    expect(restarted.code, restarted.stderr).toBe(0);
    if (result.code !== 0) {
      expect(result.stderr).toContain(h3);
      expect(result.stderr).not.toContain("This looks like a bug");
    }
    // Restart policies bring the proxy (with its routes) and an app container back by themselves.
    await until("host 3 serving again", async () => /^(four|five)$/.test(await served(h3)), 60_000, 500);
    const again = await sextant(["deploy", "-P"]);
    expect(again.code, again.output).toBe(0);
    await allServe("five");
    expect(await lockFree()).toBe(true);
  }, 240_000);

  test("the proxy on host 1 killed (kill -9) under load during a deploy: it restarts with its routes", async () => {
    version = await release(project, SERVICE, "six");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const pid = (await onHost(bed, h1, "docker inspect -f '{{.State.Pid}}' kamal-proxy")).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    const load = continuousLoad([`http://${h1}/`], { workers: 2 });
    let killedAt = 0;
    const kill = until("host 1 pulling", auditSays(h1, `Pulled image with version ${version}`), 120_000).then(() => {
      killedAt = performance.now();
      return run(["kill", "-KILL", pid]);
    });
    const result = await sextant(["deploy", "-P"]);
    await kill;
    const answers = () =>
      fetch(`http://${h1}/`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
    await until("host 1 serving again", answers, 60_000, 50);
    const down = ((performance.now() - killedAt) / 1000).toFixed(1);
    const stats = await load.stop();
    console.log(`proxy killed: deploy exit ${result.code}; host 1 served again within ${down}s; requests to host 1 during the deploy and restart: ${JSON.stringify(stats)}`);
    if (result.code !== 0) {
      expect(result.stderr).toContain(h1);
      expect((await sextant(["deploy", "-P"])).code).toBe(0);
    }
    // The restarted proxy kept its routes: every host serves the new version.
    await allServe("six");
    expect(await lockFree()).toBe(true);
  }, 240_000);

  test("host 3's disk full during the pull: a clear error naming the host and the disk, the old version serving", async () => {
    version = await release(project, SERVICE, "seven");
    expect((await sextant(["build", "push"])).code).toBe(0);
    const root = (await onHost(bed, h3, "docker info --format '{{.DockerRootDir}}'")).stdout.trim();
    // Leave less than the new layer needs.
    const fill = await onHost(bed, h3, `fallocate -l $(( $(df --output=avail -k ${root} | tail -1) - 4 ))K ${root}/filler`);
    expect(fill.code, fill.stderr).toBe(0);
    try {
      const result = await sextant(["deploy", "-P"]);
      expect(result.code).toBe(1);
      // The pull, or the container start right after it, is what runs out of space.
      expect(result.stderr).toMatch(new RegExp(`${h3.replaceAll(".", "\\.")}: the disk is full: (pulling|starting web) .* failed with "no space left on device" \\(${root}: `));
      expect(result.stderr).toContain("The running version is still serving");
      expect(result.stderr).not.toContain("This looks like a bug");
      expect(await served(h3)).toBe("six");
      expect(await lockFree()).toBe(true);
    } finally {
      await onHost(bed, h3, `rm -f ${root}/filler`);
    }
    const again = await sextant(["deploy", "-P"]);
    expect(again.code, again.output).toBe(0);
    await allServe("seven");
  }, 240_000);
});
