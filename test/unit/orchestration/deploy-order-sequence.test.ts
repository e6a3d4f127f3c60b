/**
 * The order of the top-level sequences (checked against the commands Kamal 2 sends for a
 * one-role app): deploy pulls outside the lock, then proxy, stale containers, boot, prune under it; redeploy
 * skips the proxy and the prune; setup takes the lock first, checks Docker, and boots accessories
 * before the app. Each check names key commands in order, other commands allowed between them.
 */
import { describe, expect, test } from "bun:test";
import { deploy, redeploy, setup } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const LOCK_ACQUIRE = /^mkdir \.kamal\/lock-app && echo "/;
const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const START_OR_RUN = /^docker container start kamal-proxy \|\| /;
const CURRENT_VERSION =
  /^docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "\{\{\.Names\}\}" \| while read line; do echo \$\{line#app-web-\}; done; echo ---; sh -c 'docker ps --latest/;

function recorded(overrides = {}) {
  const config = makeConfig({ servers: ["1.1.1.1"], proxy: { host: "app.example.com", app_port: 3000 }, ...overrides });
  // Version 9f8e7d runs now.
  const pool = new RecordingPool().answer("echo ---;", "9f8e7d\n---\n9f8e7d\n").answer("docker run --detach", "5e6f7a8b9c0d\n");
  return { pool, config };
}

describe("deploy", () => {
  // Kamal pulls before taking the lock; sextant pulls under it, so a second deploy never untags
  // and re-pulls an image while the first one boots containers from it.
  test("the worked example's order: lock, pull, proxy, stale check, boot, switch, stop old, tag, prune, unlock", async () => {
    const { pool, config } = recorded();
    await deploy(recordingRun(config, pool), { skipPush: true });
    expect(
      pool.missingInOrder("1.1.1.1", [
        "mkdir -p .kamal",
        LOCK_ACQUIRE,
        'docker login -u "dhh" --password-stdin',
        /^AUDIT Pulled image with version 999 && \{ docker image rm --force dhh\/app:999 \|\| true; \} && docker pull dhh\/app:999 && /,
        "docker network create kamal",
        'docker login -u "dhh" --password-stdin',
        "mkdir -p .kamal/proxy/apps-config",
        START_OR_RUN,
        CURRENT_VERSION,
        "docker container ls --all --filter 'name=^app-web-999$' --quiet",
        "AUDIT [web] Booted app version 999 && mkdir -p .kamal/apps/app/env/roles",
        "upload .kamal/apps/app/env/roles/web.env (600)",
        /^docker run --detach --restart unless-stopped --name app-web-999 --network kamal --hostname 1\.1\.1\.1-[0-9a-f]{12} --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1\.1\.1\.1" --env-file \.kamal\/apps\/app\/env\/roles\/web\.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh\/app:999$/,
        'docker exec kamal-proxy kamal-proxy deploy app-web --target="5e6f7a8b9c0d:3000" --host="app.example.com" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
        "docker container ls --all --filter 'name=^app-web-9f8e7d$' --quiet | xargs docker stop",
        "AUDIT Tagging dhh/app:999 as the latest image",
        "docker tag dhh/app:999 dhh/app:latest",
        "AUDIT Pruned containers",
        "docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done",
        "AUDIT Pruned images",
        "docker image prune --force --filter label=service=app",
        /^docker image ls --filter label=service=app --format '\{\{\.ID\}\} \{\{\.Repository\}\}:\{\{\.Tag\}\}' \| grep -v -w .*dhh\/app:latest\\\|dhh\/app:<none>" \| while read image tag; do docker rmi \$tag; done$/,
        LOCK_RELEASE,
      ]),
    ).toBeUndefined();
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });

  test("a stale container (running, but not the current version) is stopped before the boot", async () => {
    const { pool, config } = recorded();
    pool.answer("echo ---;", "9f8e7d\nold111\n---\n9f8e7d\n");
    await deploy(recordingRun(config, pool), { skipPush: true });
    expect(pool.missingInOrder("1.1.1.1", [CURRENT_VERSION, "docker container ls --all --filter 'name=^app-web-old111$' --quiet | xargs docker stop", /^docker run --detach/])).toBeUndefined();
    // The current version is not stale: it is stopped only after the switch.
    expect(pool.indexOf("1.1.1.1", "'name=^app-web-9f8e7d$' --quiet | xargs docker stop")).toBeGreaterThan(pool.indexOf("1.1.1.1", "kamal-proxy deploy"));
  });
});

describe("redeploy", () => {
  test("lock, pull, stale check, boot, unlock: no network, no proxy, no prune", async () => {
    const { pool, config } = recorded();
    await redeploy(recordingRun(config, pool, { command: "redeploy" }), { skipPush: true });
    expect(
      pool.missingInOrder("1.1.1.1", [
        LOCK_ACQUIRE,
        "docker pull dhh/app:999",
        CURRENT_VERSION,
        /^docker run --detach .* dhh\/app:999$/,
        "kamal-proxy deploy app-web",
        "docker tag dhh/app:999 dhh/app:latest",
        LOCK_RELEASE,
      ]),
    ).toBeUndefined();
    expect(pool.matching(/docker network create|docker container start kamal-proxy|prune/)).toEqual([]);
  });
});

describe("setup", () => {
  test("lock first, Docker checked on every host, pull, proxy, accessories, then the app", async () => {
    const { pool, config } = recorded({ accessories: { redis: { image: "redis:7", host: "1.1.1.3", port: 6379 } } });
    await setup(recordingRun(config, pool, { command: "setup" }), { skipPush: true });
    const acquire = pool.position("1.1.1.1", LOCK_ACQUIRE);
    // Within the lock (Kamal: "setup takes the lock first"), so the early lock check is not needed.
    expect(pool.matching("stat .kamal/lock-app")).toEqual([]);
    for (const host of ["1.1.1.1", "1.1.1.3"]) expect(pool.position(host, "docker -v")).toBeGreaterThan(acquire);
    const accessoryRun = pool.position("1.1.1.3", "docker run --name app-redis");
    expect(accessoryRun).toBeGreaterThan(pool.position("1.1.1.1", START_OR_RUN));
    expect(accessoryRun).toBeGreaterThan(pool.position("1.1.1.1", "docker pull dhh/app:999"));
    expect(accessoryRun).toBeLessThan(pool.position("1.1.1.1", "docker run --detach"));
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });
});
