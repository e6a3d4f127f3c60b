/**
 * `proxy boot` and `proxy reboot`: the `kamal` network on every selected host
 * (accessory hosts too), the proxy container started or run on proxy hosts only; a reboot stops,
 * removes and runs it again per host, all at once or one host at a time (`--rolling`); `proxy remove`
 * refuses while any proxy host has an app installed, unless forced.
 * Web runs on 1.1.1.1 and 1.1.1.2; redis (no proxy) on 1.1.1.3.
 */
import { describe, expect, test } from "bun:test";
import type { Raw } from "../../../src/config/model.ts";
import { proxyBoot, proxyReboot, proxyRemove } from "../../../src/orchestration/proxy-ops.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const LOCK_RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const WEB = ["1.1.1.1", "1.1.1.2"];
const ACCESSORY = "1.1.1.3";
const NETWORK = "docker network create kamal";
const START_OR_RUN =
  /^docker container start kamal-proxy \|\| echo \$\(cat \.kamal\/proxy\/options .*\| xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:\/home\/kamal-proxy\/\.config\/kamal-proxy --volume \$PWD\/\.kamal\/proxy\/apps-config:\/home\/kamal-proxy\/\.apps-config$/;
const RUN_FROM_BOOT_FILES = /^echo \$\(cat \.kamal\/proxy\/options .*\| xargs docker run --name kamal-proxy /;

function setup(overrides: Raw = {}) {
  const config = makeConfig({
    servers: WEB,
    proxy: { host: "app.example.com" },
    accessories: { redis: { image: "redis:7", host: ACCESSORY, port: 6379 } },
    ...overrides,
  });
  const pool = new RecordingPool();
  return { config, pool, run: recordingRun(config, pool, { command: "proxy" }) };
}

describe("proxy boot", () => {
  test("creates the network on every host, accessory hosts included", async () => {
    const { pool, run } = setup();
    await proxyBoot(run);
    for (const host of [...WEB, ACCESSORY]) expect(pool.commands(host)).toContain(NETWORK);
  });

  test("on proxy hosts: network, registry login, apps-config directory, then start-or-run", async () => {
    const { pool, run } = setup();
    await proxyBoot(run);
    for (const host of WEB) {
      const network = pool.indexOf(host, NETWORK);
      const login = pool.indexOf(host, 'docker login -u "dhh" --password-stdin');
      const appsConfig = pool.indexOf(host, "mkdir -p .kamal/proxy/apps-config");
      const startOrRun = pool.indexOf(host, START_OR_RUN);
      expect(network).toBeGreaterThan(-1);
      expect(login).toBeGreaterThan(network);
      expect(appsConfig).toBeGreaterThan(login);
      expect(startOrRun).toBeGreaterThan(appsConfig);
    }
  });

  test("every host has the network before any proxy starts", async () => {
    const { pool, run } = setup();
    await proxyBoot(run);
    const firstStart = pool.log.findIndex((r) => START_OR_RUN.test(r.command));
    for (const host of [...WEB, ACCESSORY]) expect(pool.position(host, NETWORK)).toBeLessThan(firstStart);
  });

  test("no proxy on a host that only runs an accessory without proxy", async () => {
    const { pool, run } = setup();
    await proxyBoot(run);
    expect(pool.commands(ACCESSORY).filter((c) => c.includes("kamal-proxy"))).toEqual([]);
  });

  test("a proxied accessory's host gets the proxy too", async () => {
    const { pool, run } = setup({ accessories: { site: { image: "nginx", host: ACCESSORY, proxy: { host: "site.example.com", app_port: 8080 } } } });
    await proxyBoot(run);
    expect(pool.commands(ACCESSORY).some((c) => START_OR_RUN.test(c))).toBe(true);
  });

  test("proxy.run in the config gives an explicit docker run after the start", async () => {
    const { pool, run } = setup({ proxy: { host: "app.example.com", run: { repository: "basecamp/kamal-proxy", version: "v0.9.2", http_port: 8080 } } });
    await proxyBoot(run);
    expect(pool.commands("1.1.1.1")).toContain(
      "docker container start kamal-proxy || docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config --publish 8080:80 --publish 443:443 --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run",
    );
  });

  test("a network that cannot be created stops the boot before any proxy starts; the lock is released", async () => {
    const { pool, run } = setup();
    pool.answer(NETWORK, { code: 1, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" }, { host: "1.1.1.2" });
    await expect(proxyBoot(run)).rejects.toThrow("cannot create the kamal network on 1.1.1.2");
    expect(pool.matching(START_OR_RUN)).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });

  test("a network that already exists is fine", async () => {
    const { pool, run } = setup();
    pool.answer(NETWORK, { code: 1, stderr: "Error response from daemon: network with name kamal already exists" });
    await proxyBoot(run);
    for (const host of WEB) expect(pool.commands(host).some((c) => START_OR_RUN.test(c))).toBe(true);
  });
});

describe("proxy reboot", () => {
  test("per host: audit, stop, remove, apps-config directory, run, wait until it answers", async () => {
    const { pool, run } = setup();
    await proxyReboot(run);
    for (const host of WEB) {
      const script = pool.script(host);
      const from = script.indexOf("AUDIT Rebooted proxy");
      expect(script.slice(from)).toEqual([
        "AUDIT Rebooted proxy",
        "docker container stop kamal-proxy",
        "docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy",
        "mkdir -p .kamal/proxy/apps-config",
        expect.stringMatching(RUN_FROM_BOOT_FILES),
        "docker exec kamal-proxy kamal-proxy list",
        ...(host === "1.1.1.1" ? [LOCK_RELEASE] : []),
      ]);
      // Logged in before the old proxy goes, so a registry problem leaves it running.
      expect(pool.indexOf(host, 'docker login -u "dhh" --password-stdin')).toBeLessThan(pool.indexOf(host, "docker container stop kamal-proxy"));
    }
    // A reboot runs the proxy afresh: never `docker container start`, never an app redeploy.
    expect(pool.matching(/docker container start kamal-proxy|kamal-proxy deploy/)).toEqual([]);
    // Hosts without a proxy are left alone.
    expect(pool.commands(ACCESSORY).filter((c) => c.includes("kamal-proxy"))).toEqual([]);
  });

  test("--rolling: one host is back before the next one's proxy is stopped", async () => {
    const { pool, run } = setup();
    await proxyReboot(run, { rolling: true });
    expect(pool.position("1.1.1.1", "docker exec kamal-proxy kamal-proxy list")).toBeLessThan(pool.position("1.1.1.2", "docker container stop kamal-proxy"));
  });

  test("--rolling: a host whose proxy does not come back stops the reboot there", async () => {
    const { pool, run } = setup();
    pool.answer(RUN_FROM_BOOT_FILES, { code: 125, stderr: "docker: Error response from daemon: port is already allocated." }, { host: "1.1.1.1" });
    await expect(proxyReboot(run, { rolling: true })).rejects.toThrow("1.1.1.1");
    expect(pool.commands("1.1.1.2")).not.toContain("docker container stop kamal-proxy");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);
  });

  test("without --rolling every host is stopped before the first one is back", async () => {
    const { pool, run } = setup();
    await proxyReboot(run);
    const firstBack = Math.min(...WEB.map((h) => pool.position(h, "kamal-proxy list")));
    for (const host of WEB) expect(pool.position(host, "docker container stop kamal-proxy")).toBeLessThan(firstBack);
  });
});

describe("proxy remove", () => {
  const REMOVAL = [
    "AUDIT Stopped proxy",
    "docker container stop kamal-proxy",
    "AUDIT Removed proxy container",
    "docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy",
    "AUDIT Removed proxy image",
    "docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy",
    "rm -r .kamal/proxy",
  ];

  test("with no app installed: stop, container, image and directory on every proxy host", async () => {
    const { pool, run } = setup();
    await proxyRemove(run);
    for (const host of WEB) expect(pool.missingInOrder(host, ["ls .kamal/apps", ...REMOVAL])).toBeUndefined();
    expect(pool.commands(ACCESSORY).filter((c) => c.includes("kamal-proxy"))).toEqual([]);
  });

  test("refused on every host while an app is installed on one, unless forced", async () => {
    const { pool, run } = setup();
    pool.answer("ls .kamal/apps", "app\n", { host: "1.1.1.2" });
    await expect(proxyRemove(run)).rejects.toThrow("Not removing the proxy, as other apps are installed on 1.1.1.2 (app)");
    expect(pool.matching(/docker container stop kamal-proxy|rm -r \.kamal\/proxy/)).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(LOCK_RELEASE);

    const forced = setup();
    forced.pool.answer("ls .kamal/apps", "app\n", { host: "1.1.1.2" });
    await proxyRemove(forced.run, { force: true });
    for (const host of WEB) expect(forced.pool.missingInOrder(host, REMOVAL)).toBeUndefined();
  });
});
