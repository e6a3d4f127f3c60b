/**
 * The command sequences of setup/deploy/redeploy on a recording session: the steps a Kamal config
 * asks for (asset bridging, error pages, the proxy's minimum version) must appear, in Kamal's order.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Raw, SextantConfig } from "../../../src/config/model.ts";
import { deploy, redeploy, rollback } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";

const H1 = "1.1.1.1";
const H2 = "1.1.1.2";
const project = mkdtempSync(join(tmpdir(), "sextant-seq-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

function config(overrides: Raw = {}, version = "v2"): SextantConfig {
  return new SextantConfig(
    { ...structuredClone(BASE), proxy: { host: "app.example.com" }, ...overrides },
    {
      declaredVersion: version,
      cwd: project,
      env: {},
      configFile: "config/deploy.yml",
      files: [],
    },
  );
}

/** A pool where v1 runs on every host and new containers start with a fixed id. */
function servers(): RecordingPool {
  return new RecordingPool()
    .answer(/docker run --detach .*--name app-\w+-v2 /, "0123456789ab\n")
    .answer(/^docker ps --filter label=service=app .*; echo ---; /, "v1\n---\nv1\n")
    .answer(/^sh -c .*while read line; do echo \$\{line#app-web-\}; done$/, "v1\n")
    .answer(/xargs docker inspect --format '\{\{if .State.Health\}\}/, "running\n");
}

/** Answer the proxy-version probe (the proxy container's image) with `image`. */
const PROXY_IMAGE = /^docker container inspect kamal-proxy --format '\{\{.Config.Image\}\}' 2>\/dev\/null$/;

describe("deploy: asset bridging (asset_path)", () => {
  test("assets are extracted from the new image and merged with the running version's before the new container starts", async () => {
    const pool = servers();
    await deploy(recordingRun(config({ asset_path: "/rails/public/assets" }), pool), { skipPush: true });
    const cmds = pool.commands(H1);
    const extract = pool.indexOf(H1, "docker container create --name app-web-assets dhh/app:v2");
    const sync = pool.indexOf(H1, "mkdir -p .kamal/apps/app/assets/volumes/web-v2");
    const run = pool.indexOf(H1, "docker run --detach");
    expect(cmds[extract]).toBe(
      "mkdir -p .kamal/apps/app/assets/extracted/web-v2 && docker container rm app-web-assets 2> /dev/null || true && " +
        "docker container create --name app-web-assets dhh/app:v2 && docker container cp -L app-web-assets:/rails/public/assets/. .kamal/apps/app/assets/extracted/web-v2 && docker container rm app-web-assets",
    );
    expect(cmds[sync]).toBe(
      "mkdir -p .kamal/apps/app/assets/volumes/web-v2 ; cp -rnT .kamal/apps/app/assets/extracted/web-v2 .kamal/apps/app/assets/volumes/web-v2 ; " +
        "cp -rnT .kamal/apps/app/assets/extracted/web-v2 .kamal/apps/app/assets/volumes/web-v1 || true ; " +
        "cp -rnT .kamal/apps/app/assets/extracted/web-v1 .kamal/apps/app/assets/volumes/web-v2 || true",
    );
    expect(extract).toBeGreaterThan(-1);
    expect(extract).toBeLessThan(sync);
    expect(sync).toBeLessThan(run);
    // The new container mounts its merged volume.
    expect(cmds[run]).toContain("--volume $PWD/.kamal/apps/app/assets/volumes/web-v2:/rails/public/assets");
  });

  test("old versions' asset directories are removed only after the old container stopped", async () => {
    const pool = servers();
    await deploy(recordingRun(config({ asset_path: "/rails/public/assets" }), pool), { skipPush: true });
    const stopOld = pool.indexOf(H1, "'name=^app-web-v1$' --quiet | xargs docker stop");
    const clean = pool.indexOf(H1, "find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-v2");
    expect(stopOld).toBeGreaterThan(pool.indexOf(H1, "kamal-proxy deploy app-web"));
    expect(clean).toBeGreaterThan(stopOld);
    expect(pool.commands(H1)[clean]).toBe(
      `find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-v2 -exec rm -rf "{}" + ; ` + `find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' ! -name web-v2 -exec rm -rf "{}" +`,
    );
  });

  test("a first deploy (nothing running) fills only the new volume", async () => {
    const pool = servers().answer(/^docker ps --filter label=service=app .*; echo ---; /, "---\n");
    await deploy(recordingRun(config({ asset_path: "/rails/public/assets" }), pool), { skipPush: true });
    const sync = pool.matching("assets/volumes/web-v2 ;")[0]!.command;
    expect(sync).toBe("mkdir -p .kamal/apps/app/assets/volumes/web-v2 ; cp -rnT .kamal/apps/app/assets/extracted/web-v2 .kamal/apps/app/assets/volumes/web-v2");
    expect(pool.matching("find .kamal/apps/app/assets")).toEqual([]);
  });

  test("roles without the proxy get no asset bridging (as in Kamal)", async () => {
    const pool = servers();
    const c = config({ asset_path: "/rails/public/assets", readiness_delay: 0, servers: { web: [H1], jobs: { hosts: [H2], cmd: "bin/jobs" } } });
    await deploy(recordingRun(c, pool), { skipPush: true });
    expect(pool.commands(H2).filter((c) => c.includes("assets"))).toEqual([]);
    expect(pool.commands(H1).some((c) => c.includes("app-web-assets"))).toBe(true);
  });

  test("redeploy and rollback bridge assets too", async () => {
    const pool = servers();
    await redeploy(recordingRun(config({ asset_path: "/rails/public/assets" }), pool), { skipPush: true });
    expect(pool.matching("docker container create --name app-web-assets dhh/app:v2")).toHaveLength(1);

    const back = new RecordingPool()
      .answer("--filter 'name=^app-web-v1$' --quiet", "feedfacecafe\n")
      .answer(/docker run --detach/, "0123456789ab\n")
      .answer(/^sh -c .*while read line; do echo \$\{line#app-web-\}; done$/, "v2\n");
    await rollback(recordingRun(config({ asset_path: "/rails/public/assets" }, "v1"), back));
    expect(back.matching("cp -rnT .kamal/apps/app/assets/extracted/v1").length + back.matching("extracted/web-v1 .kamal/apps/app/assets/volumes/web-v1").length).toBeGreaterThan(0);
    expect(back.matching("cp -rnT .kamal/apps/app/assets/extracted/web-v2 .kamal/apps/app/assets/volumes/web-v1 || true")).toHaveLength(1);
  });
});

describe("deploy: error pages (error_pages_path)", () => {
  const pages = join(project, "public");
  mkdirSync(pages, { recursive: true });
  writeFileSync(join(pages, "502.html"), "<h1>we are restarting</h1>");
  writeFileSync(join(pages, "404.html"), "<h1>not here</h1>");
  writeFileSync(join(pages, "index.html"), "not an error page");

  test("the pages are uploaded to error_pages/VERSION before boot, and the proxy is pointed at them", async () => {
    const pool = servers();
    await deploy(recordingRun(config({ error_pages_path: "public" }), pool), { skipPush: true });
    const cmds = pool.commands(H1);
    const mkdir = cmds.indexOf("mkdir -p .kamal/proxy/apps-config/app/error_pages/v2");
    const up404 = cmds.indexOf("upload .kamal/proxy/apps-config/app/error_pages/v2/404.html (644)");
    const up502 = cmds.indexOf("upload .kamal/proxy/apps-config/app/error_pages/v2/502.html (644)");
    const run = pool.indexOf(H1, "docker run --detach");
    expect(mkdir).toBeGreaterThan(-1);
    expect([mkdir < up404, up404 < up502, up502 < run]).toEqual([true, true, true]);
    expect(pool.uploads(H1).find((u) => u.command.includes("502.html"))!.content).toBe("<h1>we are restarting</h1>");
    expect(pool.uploads(H1).some((u) => u.command.includes("index.html"))).toBe(false);
    expect(cmds[pool.indexOf(H1, "kamal-proxy deploy")]).toContain('--error-pages="/home/kamal-proxy/.apps-config/app/error_pages/v2"');
  });

  test("other versions' pages are removed once the old container stopped", async () => {
    const pool = servers();
    await deploy(recordingRun(config({ error_pages_path: "public" }), pool), { skipPush: true });
    const clean = pool.indexOf(H1, "find .kamal/proxy/apps-config/app/error_pages");
    expect(pool.commands(H1)[clean]).toBe("find .kamal/proxy/apps-config/app/error_pages -mindepth 1 -maxdepth 1 ! -name v2 -exec rm -rf {} +");
    expect(clean).toBeGreaterThan(pool.indexOf(H1, "'name=^app-web-v1$' --quiet | xargs docker stop"));
  });

  test("a missing directory fails before anything boots, naming the key and the fix", async () => {
    const pool = servers();
    const promise = deploy(recordingRun(config({ error_pages_path: "nowhere" }), pool), { skipPush: true });
    await expect(promise).rejects.toThrow("error_pages_path: nowhere is not a directory");
    expect(pool.matching("docker run --detach")).toEqual([]);
    // The lock was taken and released again.
    expect(pool.commands(H1).at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
  });
});

describe("deploy: kamal-proxy minimum version", () => {
  test("an existing kamal-proxy older than v0.9.2 stops the deploy with Kamal's message", async () => {
    const pool = servers().answer(PROXY_IMAGE, "basecamp/kamal-proxy:v0.8.0\n");
    const promise = deploy(recordingRun(config(), pool), { skipPush: true });
    await expect(promise).rejects.toThrow("kamal-proxy version v0.8.0 is too old, run `sextant proxy reboot` in order to update to at least v0.9.2");
    expect(pool.matching("docker run --detach")).toEqual([]);
    expect(pool.matching("docker container start kamal-proxy")).toEqual([]);
  });

  test("v0.9.2 and newer, sextant's own proxy, and no proxy yet all pass", async () => {
    for (const image of ["basecamp/kamal-proxy:v0.9.2", "basecamp/kamal-proxy:v0.10.1", "sextant/proxy:v0.1.0", ""]) {
      const pool = servers().answer(PROXY_IMAGE, image);
      await deploy(recordingRun(config(), pool), { skipPush: true });
      expect(pool.matching("kamal-proxy deploy app-web")).toHaveLength(1);
    }
  });
});
