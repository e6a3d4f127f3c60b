/**
 * `remove`: under the lock, per app host take the app out of the proxy, stop and
 * remove its containers, its images and its directories; remove the accessories; remove the proxy
 * only where no other app is installed (`ls .kamal/apps | wc -l` is 0 once this app's directory is
 * gone); log out of the registry everywhere.
 */
import { describe, expect, test } from "bun:test";
import { removeApp } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const PROXY_REMOVAL = [
  "docker container stop kamal-proxy",
  "docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy",
  "docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy",
  "rm -r .kamal/proxy",
];

function setup() {
  const config = makeConfig({
    servers: ["1.1.1.1", "1.1.1.2"],
    proxy: { host: "app.example.com" },
    accessories: { redis: { image: "redis:7", host: "1.1.1.3", port: 6379 } },
  });
  const pool = new RecordingPool();
  return { config, pool, run: recordingRun(config, pool, { command: "remove" }) };
}

describe("remove", () => {
  test("on an app host: out of the proxy, containers stopped and removed, images, directories, proxy, logout", async () => {
    const { pool, run } = setup();
    await removeApp(run);
    expect(pool.script("1.1.1.2")).toEqual([
      "mkdir -p .kamal",
      "docker exec kamal-proxy kamal-proxy remove app-web",
      expect.stringMatching(/^sh -c 'docker ps --latest --quiet .*--filter label=role=web .*' \| head -1 \| xargs docker stop$/),
      "AUDIT [web] Removed all app containers",
      "docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=web | xargs -r docker container rm -f",
      "AUDIT Removed all app images",
      "docker image prune --all --force --filter label=service=app",
      "AUDIT Removed .kamal/apps/app",
      "rm -r .kamal/apps/app",
      "rm -r .kamal/proxy/apps-config/app",
      "ls .kamal/apps | wc -l",
      ...PROXY_REMOVAL,
      "docker logout",
    ]);
  });

  test("the primary host also takes and finally releases the lock", async () => {
    const { pool, run } = setup();
    await removeApp(run);
    const commands = pool.commands("1.1.1.1");
    expect(commands[1]).toStartWith("mkdir .kamal/lock-app && ");
    expect(commands.at(-1)).toBe(LOCK_RELEASE);
    expect(commands.indexOf("docker logout")).toBe(commands.length - 2);
  });

  test("the proxy is kept where another app's directory remains, removed where none does", async () => {
    const { pool, run } = setup();
    pool.answer("ls .kamal/apps | wc -l", "1\n", { host: "1.1.1.2" });
    pool.answer("ls .kamal/apps | wc -l", "0\n", { host: "1.1.1.1" });
    await removeApp(run);
    for (const command of PROXY_REMOVAL) {
      expect(pool.commands("1.1.1.1")).toContain(command);
      expect(pool.commands("1.1.1.2")).not.toContain(command);
    }
    expect(run.events.events).toContainEqual({ type: "info", message: "Keeping the proxy on 1.1.1.2: 1 other app(s) use it" });
  });

  test("the count is taken after this app's directory is gone (else it would count itself)", async () => {
    const { pool, run } = setup();
    await removeApp(run);
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      expect(pool.indexOf(host, "ls .kamal/apps | wc -l")).toBeGreaterThan(pool.indexOf(host, "rm -r .kamal/apps/app"));
    }
  });

  test("accessories are removed: container, image, data directory and env file", async () => {
    const { pool, run } = setup();
    await removeApp(run);
    expect(pool.script("1.1.1.3")).toEqual([
      "mkdir -p .kamal",
      "AUDIT Removed redis accessory",
      "docker container stop app-redis",
      "docker container prune --force --filter label=service=app-redis",
      "docker image rm --force redis:7",
      "rm -rf app-redis",
      "rm -f .kamal/apps/app/env/accessories/redis.env",
      "rmdir .kamal/apps/app/env/accessories .kamal/apps/app/env .kamal/apps/app 2>/dev/null",
      "docker logout",
    ]);
  });

  test("a role without proxy is not taken out of a proxy, and its host keeps no proxy to remove", async () => {
    const config = makeConfig({ servers: { web: ["1.1.1.1"], workers: { hosts: ["1.1.1.2"], cmd: "bin/jobs" } }, proxy: { host: "app.example.com" } });
    const pool = new RecordingPool();
    await removeApp(recordingRun(config, pool, { command: "remove" }));
    expect(pool.commands("1.1.1.2").filter((c) => c.includes("kamal-proxy") || c.includes("wc -l"))).toEqual([]);
    expect(pool.commands("1.1.1.2")).toContain("docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=workers | xargs -r docker container rm -f");
    expect(pool.commands("1.1.1.1")).toContain("docker exec kamal-proxy kamal-proxy remove app-web");
  });

  test("a failure still releases the lock", async () => {
    const { pool, run } = setup();
    pool.answer("| xargs -r docker container rm -f", { code: 1, stderr: "Cannot connect to the Docker daemon" }, { host: "1.1.1.2" });
    await expect(removeApp(run)).rejects.toThrow("1.1.1.2");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });
});
