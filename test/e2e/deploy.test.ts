/**
 * The main job, end to end on three real servers: `setup` from bare Docker hosts (web behind the
 * proxy on two hosts, a jobs role without proxy on the third), a zero-downtime deploy under load,
 * a rollback, a release whose health check fails, the deploy lock, a killed deploy, a host that is
 * down, secrets hygiene, and `remove`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { page as servicePage, serviceYml, watchProcessLists } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, run, runOk, testbed } from "../support/testbed.ts";

const bed = testbed();
const [web1, web2, jobs1] = bed.hosts as [string, string, string];
const SECRET = `shop-secret-${Math.random().toString(36).slice(2)}`;
const SERVICE = "shop";

const deployYml = serviceYml(bed, {
  service: SERVICE,
  roles: { web: [web1, web2], jobs: [jobs1] },
  workers: ["jobs"],
  extra: "env:\n  clear:\n    APP_MODE: e2e\n  secret:\n    - SHOP_SECRET\n",
});

const secrets = "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\nSHOP_SECRET=$SHOP_SECRET_VALUE\n";

let project: Project;
const versions: string[] = [];

async function sextant(args: string[]) {
  const result = await project.sextant(args, { env: { SHOP_SECRET_VALUE: SECRET } });
  const output = result.stdout + result.stderr;
  // Whatever happens, a secret never reaches the output.
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

async function versionServed(host: string): Promise<string | undefined> {
  const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  const text = response?.ok ? await response.text() : "";
  return text.match(/id="version">([^<]+)</)?.[1];
}

async function containerNames(host: string): Promise<string[]> {
  const result = await onHost(bed, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}'`);
  return result.stdout.trim().split("\n").filter(Boolean).sort();
}

beforeAll(async () => {
  project = await makeProject(bed, { "config/deploy.yml": deployYml, ".kamal/secrets": secrets, "www/index.html": servicePage(SERVICE, "1") });
  versions.push(await project.commit("v1"));
});

afterAll(async () => {
  await project.sextant(["remove", "-y"], { env: { SHOP_SECRET_VALUE: SECRET } }).catch(() => undefined);
  project.cleanup();
});

describe("deploy end to end", () => {
  test("setup from bare Docker hosts: the app answers through each web host's proxy", async () => {
    const result = await sextant(["setup"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Set up ${SERVICE} ${versions[0]}`);
    expect(await versionServed(web1)).toBe("1");
    expect(await versionServed(web2)).toBe("1");
    // The jobs role runs without a proxy.
    expect(await containerNames(jobs1)).toEqual([`${SERVICE}-jobs-${versions[0]}`]);
    const proxyOnJobs = await onHost(bed, jobs1, "docker ps -q --filter name=kamal-proxy");
    expect(proxyOnJobs.stdout.trim()).toBe("");
  });

  test("secrets stay in the 0600 env file only", async () => {
    const files = await onHost(bed, web1, `grep -rl '${SECRET}' .kamal; stat -c '%a %n' .kamal/apps/${SERVICE}/env/roles/web.env`);
    expect(files.stdout.trim().split("\n")).toEqual([`.kamal/apps/${SERVICE}/env/roles/web.env`, `600 .kamal/apps/${SERVICE}/env/roles/web.env`]);
    const inside = await onHost(bed, web1, `docker exec ${SERVICE}-web-${versions[0]} /bin/busybox env`);
    expect(inside.stdout).toContain(`SHOP_SECRET=${SECRET}\n`);
    expect(inside.stdout).toContain("APP_MODE=e2e\n");
  });

  test("deploy of v2 under continuous load: zero failed requests, and no secret in any process list", async () => {
    project.write("www/index.html", servicePage(SERVICE, "2"));
    versions.push(await project.commit("v2"));
    // Watch the process lists of a web host for the whole deploy.
    const watcher = watchProcessLists(bed, web1);
    const load = continuousLoad([`http://${web1}/`, `http://${web2}/`], { workers: 4 });
    const result = await sextant(["deploy", "-v"]);
    const stats = await load.stop();
    const processLists = watcher.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.total).toBeGreaterThan(50);
    expect(stats, JSON.stringify(stats)).toMatchObject({ failed: 0 });
    expect(await versionServed(web1)).toBe("2");
    expect(await versionServed(web2)).toBe("2");
    expect(await containerNames(jobs1)).toEqual([`${SERVICE}-jobs-${versions[1]}`]);
    expect(processLists).toContain("docker"); // the watcher saw the deploy's commands
    expect(processLists).not.toContain(SECRET);
    expect(processLists).not.toContain(bed.registryPassword);
    // -v shows the commands, with secrets redacted.
    expect(result.stdout).toContain("docker run --detach --restart unless-stopped --name shop-web-");
  }, 240_000);

  test("rollback to v1 under continuous load: zero failed requests", async () => {
    const load = continuousLoad([`http://${web1}/`, `http://${web2}/`], { workers: 4 });
    const result = await sextant(["rollback", versions[0]!]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats, JSON.stringify(stats)).toMatchObject({ failed: 0 });
    expect(await versionServed(web1)).toBe("1");
    expect(await versionServed(web2)).toBe("1");
  }, 240_000);

  test("a version whose health check fails: non-zero exit with the reason and logs; jobs not booted; v1 keeps serving", async () => {
    project.write("www/index.html", servicePage(SERVICE, "broken"));
    await runOk(["git", "rm", "-q", "www/up"], { cwd: project.dir });
    const broken = await project.commit("broken: no /up");
    try {
      const load = continuousLoad([`http://${web1}/`, `http://${web2}/`], { workers: 2 });
      const result = await sextant(["deploy"]);
      const stats = await load.stop();
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("did not pass its health check");
      expect(result.stderr).toContain("/up");
      expect(result.stderr).toContain("last lines of the container's log");
      expect(stats, JSON.stringify(stats)).toMatchObject({ failed: 0 });
      expect(await versionServed(web1)).toBe("1");
      expect(await versionServed(web2)).toBe("1");
      // The barrier kept the jobs role on the old version.
      const jobs = await onHost(bed, jobs1, `docker ps --format '{{.Names}}' --filter label=role=jobs`);
      expect(jobs.stdout).not.toContain(broken);
      // The failed container was stopped, and the lock released.
      const running = await onHost(bed, web1, `docker ps --format '{{.Names}}' --filter name=${SERVICE}-web-${broken}`);
      expect(running.stdout.trim()).toBe("");
      expect((await sextant(["lock", "status"])).stdout).toContain("There is no deploy lock");
    } finally {
      // Back to a good version for the tests that follow.
      project.write("www/up", "ok\n");
      project.write("www/index.html", servicePage(SERVICE, "3"));
      versions.push(await project.commit("v3"));
    }
  }, 240_000);

  test("a deploy while the lock is held fails fast, saying who holds it", async () => {
    expect((await sextant(["lock", "acquire", "-m", "database migration by ops"])).code).toBe(0);
    try {
      const result = await sextant(["deploy"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Deploy lock found");
      expect(result.stderr).toContain("Message: database migration by ops");
      expect(result.stderr).toContain("sextant lock release");
      // It failed before building anything.
      expect(result.stdout).not.toContain("Build and push");
    } finally {
      expect((await sextant(["lock", "release"])).code).toBe(0);
    }
  }, 120_000);

  test("after kill -9 mid-deploy, lock release then deploy completes", async () => {
    const child = spawn(process.env.SEXTANT_BIN ?? "dist/sextant", ["deploy"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env, SHOP_SECRET_VALUE: SECRET },
      stdio: "ignore",
    });
    // Wait until it holds the lock on the primary host, then kill it hard.
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const held = await onHost(bed, web1, `test -d .kamal/lock-${SERVICE} && echo held`);
      if (held.stdout.includes("held")) break;
      await Bun.sleep(100);
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const blocked = await sextant(["deploy", "--skip-push"]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("Deploy lock found");
    expect((await sextant(["lock", "release"])).code).toBe(0);
    const result = await sextant(["deploy"]);
    expect(result.code, result.output).toBe(0);
    expect(await versionServed(web1)).toBe("3");
    expect(await versionServed(web2)).toBe("3");
  }, 240_000);

  test("Ctrl-C mid-deploy releases the lock on the way out; the old version keeps serving", async () => {
    project.write("www/index.html", servicePage(SERVICE, "4"));
    await project.commit("v4");
    const child = spawn(process.env.SEXTANT_BIN ?? "dist/sextant", ["deploy"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env, SHOP_SECRET_VALUE: SECRET },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const held = await onHost(bed, web1, `test -d .kamal/lock-${SERVICE} && echo held`);
      if (held.stdout.includes("held")) break;
      await Bun.sleep(100);
    }
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toContain("Interrupted");
    expect((await sextant(["lock", "status"])).stdout).toContain("There is no deploy lock");
    expect(["3", "4"]).toContain((await versionServed(web1))!);
  }, 240_000);

  test("a host that is down fails that host with a clear message, and the others keep serving", async () => {
    const ns = `${bed.name}-h3`;
    await run(["ip", "-n", ns, "link", "set", "eth0", "down"]);
    try {
      const result = await sextant(["redeploy", "--skip-push"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(jobs1);
      expect(result.stderr).toMatch(/no answer from .*:22|timed out|unreachable|no route/i);
      expect(await versionServed(web1)).toBe("3");
    } finally {
      await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    }
    // The next run goes on: the lock was released, the host is back.
    expect((await sextant(["lock", "status"])).stdout).toContain("There is no deploy lock");
  }, 240_000);

  test("remove leaves no container, image or .kamal directory of the app behind", async () => {
    const result = await sextant(["remove", "-y"]);
    expect(result.code, result.output).toBe(0);
    for (const host of [web1, web2, jobs1]) {
      const left = await onHost(
        bed,
        host,
        `docker ps -aq --filter label=service=${SERVICE}; docker image ls -q --filter label=service=${SERVICE}; ls -d .kamal/apps/${SERVICE} 2>/dev/null; docker ps -aq --filter name=kamal-proxy`,
      );
      expect({ host, left: left.stdout.trim() }).toEqual({ host, left: "" });
    }
  }, 240_000);
});
