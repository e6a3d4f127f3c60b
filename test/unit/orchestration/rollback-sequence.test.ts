/**
 * `rollback VERSION`: under the lock, check that a container of VERSION is on every
 * app host for every role, then boot it as `app boot` does: the old container of VERSION is renamed
 * out of the way, a fresh one runs, the proxy switches to it, and only then is the running version
 * stopped. No build, pull or prune.
 */
import { describe, expect, test } from "bun:test";
import { rollback } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const WEB = ["1.1.1.1", "1.1.1.2"];
const WORKER = "1.1.1.3";
const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";

function setup() {
  const config = makeConfig({ servers: { web: WEB, workers: { hosts: [WORKER], cmd: "bin/jobs" } }, proxy: { host: "app.example.com" }, readiness_delay: 0 }, { version: "123" });
  const pool = new RecordingPool()
    // A container of 123 exists everywhere (the "version present" check and the clash check).
    .answer(/docker container ls --all --filter 'name=\^app-\w+-123\$' --quiet$/, "aaaaaaaaaaaa\n")
    // 456 is running now.
    .answer("docker ps --latest", "456\n")
    .answer("docker run --detach", "abcdef012345\n")
    // The worker (no proxy) is ready as soon as Docker says it runs.
    .answer("| xargs docker inspect --format", "running\n");
  return { config, pool, run: recordingRun(config, pool, { command: "rollback" }) };
}

describe("rollback", () => {
  test("checks that the version is on every host and role before booting anything", async () => {
    const { pool, run } = setup();
    await rollback(run);
    const check = (host: string, role: string) => pool.position(host, `docker container ls --all --filter 'name=^app-${role}-123$' --quiet`);
    // The boot's first step anywhere (its clash check repeats the check's command, so look for the step after it).
    const firstBootStep = pool.log.findIndex((r) => r.command.includes("Renaming container"));
    expect(firstBootStep).toBeGreaterThan(-1);
    for (const host of WEB) expect(check(host, "web")).toBeGreaterThan(-1);
    expect(check(WORKER, "workers")).toBeGreaterThan(-1);
    for (const position of [...WEB.map((h) => check(h, "web")), check(WORKER, "workers")]) expect(position).toBeLessThan(firstBootStep);
  });

  test("boots the version: renames its old container, runs a fresh one, switches the proxy, then stops the running version", async () => {
    const { pool, run } = setup();
    await rollback(run);
    expect(pool.script("1.1.1.1")).toEqual([
      "mkdir -p .kamal",
      expect.stringMatching(/^mkdir \.kamal\/lock-app && echo "/),
      // No canary may be out during a rollback.
      "cat .kamal/apps/app/rollout 2> /dev/null || true",
      "docker container ls --all --filter 'name=^app-web-123$' --quiet",
      "docker container ls --all --filter 'name=^app-web-123$' --quiet",
      expect.stringMatching(/^AUDIT \[web\] Renaming container 123 to 123_replaced_[0-9a-f]{16}$/),
      expect.stringMatching(/^docker rename app-web-123 app-web-123_replaced_[0-9a-f]{16}$/),
      expect.stringMatching(/^sh -c 'docker ps --latest --format .*--filter label=role=web .*while read line; do echo \$\{line#app-web-\}; done$/),
      "AUDIT [web] Booted app version 123 && mkdir -p .kamal/apps/app/env/roles",
      "upload .kamal/apps/app/env/roles/web.env (600)",
      expect.stringMatching(/^docker run --detach --restart unless-stopped --name app-web-123 .* dhh\/app:123$/),
      expect.stringMatching(/^docker exec kamal-proxy kamal-proxy deploy app-web --target="abcdef012345:80" --host="app.example.com" /),
      "docker container ls --all --filter 'name=^app-web-456$' --quiet | xargs docker stop",
      "AUDIT Tagging dhh/app:123 as the latest image",
      "docker tag dhh/app:123 dhh/app:latest",
      LOCK_RELEASE,
    ]);
  });

  test("a role without proxy is stopped after the new container is ready (with its stop timeout)", async () => {
    const { pool, run } = setup();
    await rollback(run);
    const ready = pool.indexOf(WORKER, "xargs docker inspect --format");
    const stopOld = pool.indexOf(WORKER, "docker container ls --all --filter 'name=^app-workers-456$' --quiet | xargs docker stop -t 30");
    expect(pool.indexOf(WORKER, /^docker run .* dhh\/app:123 bin\/jobs$/)).toBeLessThan(ready);
    expect(ready).toBeGreaterThan(-1);
    expect(stopOld).toBeGreaterThan(ready);
  });

  test("no build, pull or prune", async () => {
    const { pool, run } = setup();
    await rollback(run);
    expect(pool.matching(/docker (pull|image prune|login)|Pruned/)).toEqual([]);
  });

  test("a version missing on some hosts names them and boots nothing; the lock is released", async () => {
    const { pool, run } = setup();
    pool.answer("docker container ls --all --filter 'name=^app-web-123$' --quiet", "", { host: "1.1.1.2" });
    pool.answer("docker container ls --all --filter 'name=^app-workers-123$' --quiet", "", { host: WORKER });
    const error = await rollback(run).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toBe("The app version '123' is not available as a container (missing: web on 1.1.1.2, workers on 1.1.1.3)");
    expect(pool.matching(/^docker (run|rename|stop)|kamal-proxy deploy|xargs docker stop/)).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });
});
