/**
 * Deploy's app boot across hosts and roles: boot groups of `boot.limit`
 * hosts one group after the other; a non-primary role waits for the first healthy primary-role
 * container and never boots when it fails; a failed boot stops the new container and leaves the
 * old one serving; an unreachable host is named and the lock is still released.
 */
import { describe, expect, test } from "bun:test";
import type { Raw } from "../../../src/config/model.ts";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const LOCK_ACQUIRE = /^mkdir \.kamal\/lock-app && echo "/;
const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const RUN_WEB = "docker run --detach --restart unless-stopped --name app-web-999";
const RUN_WORKERS = "docker run --detach --restart unless-stopped --name app-workers-999";
const DEPLOY_WEB = "docker exec kamal-proxy kamal-proxy deploy app-web";

function setup(overrides: Raw) {
  const config = makeConfig({ proxy: { host: "app.example.com" }, readiness_delay: 0, ...overrides });
  const pool = new RecordingPool()
    .answer("docker run --detach", "abcdef012345\n")
    // Version 456 runs now (the stale check reads it with the version list, after a `---` line).
    .answer("echo ---;", "456\n---\n456\n")
    .answer("| xargs docker inspect --format", "running\n");
  return { config, pool, run: recordingRun(config, pool) };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: Error) => e,
  );

describe("deploy: boot groups", () => {
  test("boot.limit 1: each host's new container is live before the next host's starts", async () => {
    const hosts = ["1.1.1.1", "1.1.1.2", "1.1.1.3"];
    const { pool, run } = setup({ servers: hosts, boot: { limit: 1 } });
    await deploy(run, { skipPush: true });
    for (let i = 1; i < hosts.length; i++) {
      expect(pool.position(hosts[i]!, RUN_WEB)).toBeGreaterThan(pool.position(hosts[i - 1]!, "docker container ls --all --filter 'name=^app-web-456$' --quiet | xargs docker stop"));
    }
  });

  test("boot.limit 2 of 3 hosts: two boot together, the third after both", async () => {
    const { pool, run } = setup({ servers: ["1.1.1.1", "1.1.1.2", "1.1.1.3"], boot: { limit: 2 } });
    await deploy(run, { skipPush: true });
    // Together: the second host starts before the first is live.
    expect(pool.position("1.1.1.2", RUN_WEB)).toBeLessThan(pool.position("1.1.1.1", DEPLOY_WEB));
    const third = pool.position("1.1.1.3", RUN_WEB);
    expect(third).toBeGreaterThan(pool.position("1.1.1.1", DEPLOY_WEB));
    expect(third).toBeGreaterThan(pool.position("1.1.1.2", DEPLOY_WEB));
  });

  test("a percentage limit rounds down to whole hosts (at least one)", async () => {
    const { pool, run } = setup({ servers: ["1.1.1.1", "1.1.1.2", "1.1.1.3"], boot: { limit: "50%" } });
    await deploy(run, { skipPush: true });
    // 50% of 3 = 1 host per group.
    expect(pool.position("1.1.1.2", RUN_WEB)).toBeGreaterThan(pool.position("1.1.1.1", DEPLOY_WEB));
    expect(pool.position("1.1.1.3", RUN_WEB)).toBeGreaterThan(pool.position("1.1.1.2", DEPLOY_WEB));
  });

  test("the image is tagged latest on every host after the last group, then pruned", async () => {
    const hosts = ["1.1.1.1", "1.1.1.2"];
    const { pool, run } = setup({ servers: hosts, boot: { limit: 1 } });
    await deploy(run, { skipPush: true });
    const lastBoot = pool.position("1.1.1.2", DEPLOY_WEB);
    for (const host of hosts) {
      expect(pool.position(host, "docker tag dhh/app:999 dhh/app:latest")).toBeGreaterThan(lastBoot);
      expect(pool.indexOf(host, "docker image prune --force --filter label=service=app")).toBeGreaterThan(pool.indexOf(host, "docker tag dhh/app:999 dhh/app:latest"));
    }
  });
});

describe("deploy: the same version again", () => {
  test("the running container is renamed out of the way and stopped under its new name after the switch", async () => {
    const { pool, run } = setup({ servers: ["1.1.1.1"] });
    // 999 runs already, and its container exists.
    pool.answer("echo ---;", "999\n---\n999\n").answer("docker container ls --all --filter 'name=^app-web-999$' --quiet", "aaaaaaaaaaaa\n");
    await deploy(run, { skipPush: true });
    const commands = pool.commands("1.1.1.1");
    const renamed =
      commands
        .find((c) => c.startsWith("docker rename app-web-999 "))
        ?.split(" ")
        .at(-1) ?? "";
    expect(renamed).toMatch(/^app-web-999_replaced_[0-9a-f]{16}$/);
    expect(pool.missingInOrder("1.1.1.1", [`docker rename app-web-999 ${renamed}`, RUN_WEB, DEPLOY_WEB, `docker container ls --all --filter 'name=^${renamed}$' --quiet | xargs docker stop`])).toBeUndefined();
    // The new container of the same name is never stopped.
    expect(commands).not.toContain("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop");
  });
});

describe("deploy: two roles", () => {
  const roles = { servers: { web: ["1.1.1.1"], workers: { hosts: ["1.1.1.2"], cmd: "bin/jobs" } } };

  test("the other role boots only after the first primary container is live", async () => {
    const { pool, run } = setup(roles);
    await deploy(run, { skipPush: true });
    expect(pool.position("1.1.1.2", RUN_WORKERS)).toBeGreaterThan(pool.position("1.1.1.1", DEPLOY_WEB));
    // Both roles' old containers are stopped after their new ones are ready.
    expect(pool.indexOf("1.1.1.2", "docker container ls --all --filter 'name=^app-workers-456$' --quiet | xargs docker stop -t 30")).toBeGreaterThan(
      pool.indexOf("1.1.1.2", "docker container ls --all --filter 'name=^app-workers-999$' --quiet | xargs docker inspect --format"),
    );
  });

  test("a failing primary health check: the other role never boots, the new container is stopped, the old one keeps serving", async () => {
    const { pool, run } = setup(roles);
    pool.answer(DEPLOY_WEB, { code: 1, stderr: "Error: target failed to become healthy within configured timeout (30s)" });
    const error = await failure(deploy(run, { skipPush: true }));
    expect(error?.message).toContain("1.1.1.1: the new container did not pass its health check on 1.1.1.1: target failed to become healthy within configured timeout (30s)");
    expect(error?.message).toContain("1.1.1.2: First web container is unhealthy, not booting workers on 1.1.1.2");

    expect(pool.matching(RUN_WORKERS)).toEqual([]);
    const primary = pool.commands("1.1.1.1");
    const deployAt = primary.findIndex((c) => c.startsWith(DEPLOY_WEB));
    expect(primary.slice(deployAt + 1)).toEqual([
      "docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker logs --tail 20 2>&1",
      "docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker inspect --format '{{json .State.Health}}'",
      "docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop",
      LOCK_RELEASE,
    ]);
    // Nothing tagged or pruned, and the running version left alone.
    expect(pool.matching(/docker tag|prune|app-(web|workers)-456\$' --quiet \| xargs docker stop/)).toEqual([]);
  });

  // Kamal prints the failed primary container's health log as well as its docker
  // logs; sextant builds the command (appCommands().healthLog) but never runs it.
  test("a failing primary also dumps the new container's health log", async () => {
    const { pool, run } = setup(roles);
    pool.answer(DEPLOY_WEB, { code: 1, stderr: "Error: target failed to become healthy" });
    await failure(deploy(run, { skipPush: true }));
    expect(pool.commands("1.1.1.1")).toContain("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker inspect --format '{{json .State.Health}}'");
  });

  // Not a Kamal difference (Kamal's Boot#run renames a clashing container outside its rescue too),
  // but a hang: when the only primary-role host fails before its boot's try block (unreachable, or
  // the rename of a clashing container fails), the barrier is never closed, the other role waits for
  // ever and the lock is never released. The other role should fail as for an unhealthy primary.
  test("the only primary-role host lost before its boot: the other role fails instead of waiting for ever", async () => {
    const { pool, run } = setup(roles);
    // 1.1.1.1 drops once the stale check has run, i.e. just before the boot.
    pool.answer(
      "echo ---;",
      () => {
        pool.down.add("1.1.1.1");
        return "456\n---\n456\n";
      },
      { host: "1.1.1.1" },
    );
    const error = await failure(deploy(run, { skipPush: true }));
    expect(error?.message).toContain("1.1.1.1");
    expect(error?.message).toContain("First web container is unhealthy, not booting workers on 1.1.1.2");
    expect(pool.matching(RUN_WORKERS)).toEqual([]);
    // The lock's host is the one that went away: its release is attempted, and fails, after the boot gave up.
  }, 1000);

  test("both roles on one host: the primary boots first, then the other role", async () => {
    const { pool, run } = setup({ servers: { web: ["1.1.1.1"], workers: { hosts: ["1.1.1.1"], cmd: "bin/jobs" } } });
    await deploy(run, { skipPush: true });
    expect(pool.indexOf("1.1.1.1", RUN_WORKERS)).toBeGreaterThan(pool.indexOf("1.1.1.1", DEPLOY_WEB));
  });
});

describe("deploy: an unreachable host", () => {
  test("down from the start: named in the error; the pull fails before the lock is taken", async () => {
    const { pool, run } = setup({ servers: ["1.1.1.1", "1.1.1.2"] });
    pool.down.add("1.1.1.2");
    const error = await failure(deploy(run, { skipPush: true }));
    expect(error?.message).toContain("1.1.1.2");
    expect(error?.message).toContain("ECONNREFUSED");
    expect(pool.commands("1.1.1.2")).toEqual([]);
    // The image is pulled outside the lock (Kamal: build and pull before the lock), so no lock is left behind.
    expect(pool.matching(LOCK_ACQUIRE)).toEqual([]);
    expect(pool.matching("docker run")).toEqual([]);
  });

  test("lost after the lock is taken: named in the error, and the lock is released", async () => {
    const { pool, run } = setup({ servers: ["1.1.1.1", "1.1.1.2"] });
    // The connection to 1.1.1.2 drops right after the lock is taken.
    pool.answer(LOCK_ACQUIRE, () => {
      pool.down.add("1.1.1.2");
      return "";
    });
    const error = await failure(deploy(run, { skipPush: true }));
    expect(error?.message).toContain("1.1.1.2");
    expect(error?.message).toContain("ECONNREFUSED");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
    // The proxy step stopped the deploy: no container started anywhere.
    expect(pool.matching("docker run")).toEqual([]);
  });
});
