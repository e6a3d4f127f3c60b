/**
 * `app boot|start|stop|remove|stale_containers --stop|maintenance|live`: each under the lock, per host and role, in Kamal's order. Hosts: web on 1.1.1.1 and
 * 1.1.1.2, workers (no proxy) on 1.1.1.2.
 */
import { describe, expect, test } from "bun:test";
import { appBoot, appLive, appMaintenance, appRemove, appStart, appStop, stopStale } from "../../../src/orchestration/app-ops.ts";
import type { RunOptions } from "../../../src/orchestration/run.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const LOCK_ACQUIRE = /^mkdir \.kamal\/lock-app && echo "/;
const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const CURRENT_WEB_VERSION = /^sh -c 'docker ps --latest --format '\\''\{\{\.Names\}\}'\\'' .*--filter label=role=web .*while read line; do echo \$\{line#app-web-\}; done$/;

function setup(options: Partial<RunOptions> = {}) {
  const config = makeConfig({
    servers: { web: ["1.1.1.1", "1.1.1.2"], workers: { hosts: ["1.1.1.2"], cmd: "bin/jobs" } },
    proxy: { host: "app.example.com" },
    readiness_delay: 0,
  });
  const pool = new RecordingPool();
  return { config, pool, run: recordingRun(config, pool, { command: "app", ...options }) };
}

describe("app boot", () => {
  test("per host: clash check, old version read, env file, run, proxy switch, old version stopped; then tagged latest", async () => {
    const { pool, run } = setup();
    pool.answer("docker ps --latest", "456\n").answer("docker run --detach", "abcdef012345\n").answer("| xargs docker inspect --format", "running\n");
    await appBoot(run);
    expect(pool.script("1.1.1.1")).toEqual([
      "mkdir -p .kamal",
      expect.stringMatching(LOCK_ACQUIRE),
      "docker container ls --all --filter 'name=^app-web-999$' --quiet",
      expect.stringMatching(CURRENT_WEB_VERSION),
      "AUDIT [web] Booted app version 999 && mkdir -p .kamal/apps/app/env/roles",
      "upload .kamal/apps/app/env/roles/web.env (600)",
      expect.stringMatching(/^docker run --detach --restart unless-stopped --name app-web-999 --network kamal --hostname 1\.1\.1\.1-[0-9a-f]{12} .* dhh\/app:999$/),
      expect.stringMatching(/^docker exec kamal-proxy kamal-proxy deploy app-web --target="abcdef012345:80" /),
      "docker container ls --all --filter 'name=^app-web-456$' --quiet | xargs docker stop",
      "AUDIT Tagging dhh/app:999 as the latest image",
      "docker tag dhh/app:999 dhh/app:latest",
      LOCK_RELEASE,
    ]);
  });

  test("two roles on one host boot one after the other, primary first", async () => {
    const { pool, run } = setup();
    pool.answer("docker run --detach", "abcdef012345\n").answer("| xargs docker inspect --format", "running\n");
    await appBoot(run);
    const webDeploy = pool.indexOf("1.1.1.2", "kamal-proxy deploy app-web");
    const workersRun = pool.indexOf("1.1.1.2", "docker run --detach --restart unless-stopped --name app-workers-999");
    expect(webDeploy).toBeGreaterThan(-1);
    expect(workersRun).toBeGreaterThan(webDeploy);
    // The worker has no proxy: its readiness is Docker's status, not a kamal-proxy deploy.
    expect(pool.commands("1.1.1.2").filter((c) => c.includes("kamal-proxy deploy app-workers"))).toEqual([]);
    expect(pool.indexOf("1.1.1.2", "docker container ls --all --filter 'name=^app-workers-999$' --quiet | xargs docker inspect --format")).toBeGreaterThan(workersRun);
  });

  test("with only the other role selected it is the primary: it boots without waiting", async () => {
    const { pool, run } = setup({ roles: ["workers"] });
    pool.answer("| xargs docker inspect --format", "running\n");
    await appBoot(run);
    expect(pool.matching(/docker run/).map((r) => r.command.split(" --name ")[1]?.split(" ")[0])).toEqual(["app-workers-999"]);
    expect(run.events.events.filter((e) => e.type === "info" && e.message.startsWith("Waiting for the first healthy"))).toEqual([]);
  });

  test("a container of the same version is renamed out of the way before the new one runs", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    pool.answer("docker container ls --all --filter 'name=^app-web-999$' --quiet", "aaaaaaaaaaaa\n").answer("docker run --detach", "abcdef012345\n");
    await appBoot(run);
    const rename = pool.indexOf("1.1.1.1", /^docker rename app-web-999 app-web-999_replaced_[0-9a-f]{16}$/);
    expect(pool.script("1.1.1.1")[rename - 1]).toMatch(/^AUDIT \[web\] Renaming container 999 to 999_replaced_[0-9a-f]{16}$/);
    expect(rename).toBeLessThan(pool.indexOf("1.1.1.1", "docker run --detach"));
  });
});

describe("app start", () => {
  test("starts the version's container and routes the proxy to the running one", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    pool.answer("docker ps --latest", "999\n").answer("docker container ls --all --filter 'name=^app-web-999$' --quiet", "bbbbbbbbbbbb\n");
    await appStart(run);
    expect(pool.script("1.1.1.1")).toEqual([
      "mkdir -p .kamal",
      expect.stringMatching(LOCK_ACQUIRE),
      "AUDIT [web] Started app version 999",
      "docker start app-web-999",
      expect.stringMatching(CURRENT_WEB_VERSION),
      "docker container ls --all --filter 'name=^app-web-999$' --quiet",
      expect.stringMatching(/^docker exec kamal-proxy kamal-proxy deploy app-web --target="bbbbbbbbbbbb:80" --host="app.example.com" /),
      LOCK_RELEASE,
    ]);
  });

  test("a role without proxy is only started", async () => {
    const { pool, run } = setup({ roles: ["workers"] });
    await appStart(run);
    // The lock stays on the config's primary host (1.1.1.1), whatever the selection.
    expect(pool.script("1.1.1.2")).toEqual(["mkdir -p .kamal", "AUDIT [workers] Started app version 999", "docker start app-workers-999"]);
  });

  test("no running container after the start: Failed to get endpoint, no proxy deploy", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    await expect(appStart(run)).rejects.toThrow("Failed to get endpoint for web on 1.1.1.1, did the container boot?");
    expect(pool.matching("kamal-proxy deploy")).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });
});

describe("app stop", () => {
  test("takes a running proxy role out of the proxy first, then stops the current container", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    pool.answer("docker ps --latest", "999\n");
    await appStop(run);
    expect(pool.script("1.1.1.1")).toEqual([
      "mkdir -p .kamal",
      expect.stringMatching(LOCK_ACQUIRE),
      "AUDIT [web] Stopped app",
      expect.stringMatching(CURRENT_WEB_VERSION),
      "docker exec kamal-proxy kamal-proxy remove app-web",
      expect.stringMatching(/^sh -c 'docker ps --latest --quiet .*--filter label=role=web .*' \| head -1 \| xargs docker stop$/),
      LOCK_RELEASE,
    ]);
  });

  test("nothing running: no proxy removal, the stop is still tried", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    await appStop(run);
    expect(pool.matching("kamal-proxy remove")).toEqual([]);
    expect(pool.indexOf("1.1.1.1", /\| head -1 \| xargs docker stop$/)).toBeGreaterThan(-1);
  });

  test("a role without proxy is stopped with its stop timeout and never touches the proxy", async () => {
    const { pool, run } = setup({ roles: ["workers"] });
    pool.answer("docker ps --latest", "999\n");
    await appStop(run);
    const commands = pool.commands("1.1.1.2");
    expect(commands.filter((c) => c.includes("kamal-proxy"))).toEqual([]);
    expect(commands.some((c) => /--filter label=role=workers .*\| head -1 \| xargs docker stop -t 30$/.test(c))).toBe(true);
  });
});

describe("app remove", () => {
  test("per role: out of the proxy, stop, remove containers; then images and directories", async () => {
    const { pool, run } = setup();
    await appRemove(run);
    expect(pool.script("1.1.1.2").slice(1)).toEqual([
      "docker exec kamal-proxy kamal-proxy remove app-web",
      expect.stringMatching(/--filter label=role=web .*\| xargs docker stop$/),
      "AUDIT [web] Removed all app containers",
      "docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=web | xargs -r docker container rm -f",
      expect.stringMatching(/--filter label=role=workers .*\| xargs docker stop -t 30$/),
      "AUDIT [workers] Removed all app containers",
      "docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=workers | xargs -r docker container rm -f",
      "AUDIT Removed all app images",
      "docker image prune --all --force --filter label=service=app",
      "AUDIT Removed .kamal/apps/app",
      "rm -r .kamal/apps/app",
      "rm -r .kamal/proxy/apps-config/app",
    ]);
  });

  test("images and directories stay on a host where an unselected role still runs", async () => {
    const { pool, run } = setup({ roles: ["web"] });
    await appRemove(run);
    // 1.1.1.1 runs only web: everything goes.
    expect(pool.commands("1.1.1.1")).toContain("docker image prune --all --force --filter label=service=app");
    expect(pool.commands("1.1.1.1")).toContain("rm -r .kamal/apps/app");
    // 1.1.1.2 also runs workers: only web's containers go.
    const second = pool.commands("1.1.1.2");
    expect(second).toContain("docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=web | xargs -r docker container rm -f");
    expect(second.filter((c) => c.includes("role=workers") || c.includes("docker image prune") || c.startsWith("rm -r .kamal/apps"))).toEqual([]);
  });
});

describe("app stale_containers --stop", () => {
  test("under the lock, every running version but the current one is stopped", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    pool.answer("echo ---;", "456\nold1\nold2\n---\n456\n");
    await stopStale(run);
    expect(pool.script("1.1.1.1").slice(2)).toEqual([
      expect.stringMatching(/^docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "\{\{\.Names\}\}" .*; echo ---; sh -c 'docker ps --latest/),
      "docker container ls --all --filter 'name=^app-web-old1$' --quiet | xargs docker stop",
      "docker container ls --all --filter 'name=^app-web-old2$' --quiet | xargs docker stop",
      LOCK_RELEASE,
    ]);
    expect(run.events.events).toContainEqual({ type: "info", message: "Stopping stale container for role web with version old1 on 1.1.1.1" });
  });
});

describe("app maintenance and live", () => {
  test("maintenance stops the proxy service with the drain timeout and message, on proxy-role hosts only", async () => {
    const { pool, run } = setup();
    await appMaintenance(run, { message: "Back soon" });
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      const script = pool.script(host);
      const stop = script.indexOf('docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="30s" --message="Back soon"');
      expect(stop).toBeGreaterThan(-1);
      expect(script[stop - 1]).toBe("AUDIT [web] Maintenance mode");
    }
    // Workers have no proxy service.
    expect(pool.matching("app-workers")).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });

  test("maintenance takes --drain-timeout over the config's", async () => {
    const { pool, run } = setup({ hosts: ["1.1.1.1"] });
    await appMaintenance(run, { drainTimeout: 5 });
    expect(pool.commands("1.1.1.1")).toContain('docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="5s"');
  });

  test("live resumes the proxy service", async () => {
    const { pool, run } = setup();
    await appLive(run);
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      const script = pool.script(host);
      const resume = script.indexOf("docker exec kamal-proxy kamal-proxy resume app-web");
      expect(resume).toBeGreaterThan(-1);
      expect(script[resume - 1]).toBe("AUDIT [web] Live mode");
    }
  });

  test("a refusal from the proxy names the host and what it said; the lock is released", async () => {
    const { pool, run } = setup();
    pool.answer("kamal-proxy resume", { code: 1, stderr: "Error: service not found" }, { host: "1.1.1.2" });
    await expect(appLive(run)).rejects.toThrow("The proxy on 1.1.1.2 refused: service not found");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });

  test("only roles without proxy selected: refused without a proxy command, the lock released", async () => {
    const { pool, run } = setup({ roles: ["workers"] });
    await expect(appLive(run)).rejects.toThrow("No selected role runs behind the proxy");
    expect(pool.matching("kamal-proxy")).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });
});
