/**
 * Canary releases on a recording session: the exact kamal-proxy rollout commands, the record on
 * the servers, the lock around each step, and deploys refused while a canary is out.
 */
import { describe, expect, test } from "bun:test";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { deployCanary, promoteRollout, setRollout, stopRollout } from "../../../src/orchestration/rollout.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const H1 = "1.1.1.1";
const RECORD = ".kamal/apps/app/rollout";
const RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";

function setup(version = "999", canary?: string) {
  const config = makeConfig({ servers: { web: [H1, "1.1.1.2"], jobs: { hosts: ["1.1.1.3"], cmd: "bin/jobs" } }, proxy: { host: "app.example.com" }, readiness_delay: 0 }, { version });
  const pool = new RecordingPool()
    .answer(/docker run --detach/, "0123456789ab\n")
    .answer(/^sh -c .*while read line; do echo \$\{line#app-web-\}; done$/, "456\n")
    .answer(/xargs docker inspect --format '\{\{if .State.Health\}\}/, "running\n");
  if (canary) pool.answer(`cat ${RECORD} 2> /dev/null || true`, `${canary}\n`);
  return { pool, run: recordingRun(config, pool, { command: "rollout" }) };
}

describe("deploy --canary", () => {
  test("the canary container becomes each web host's rollout target, then the split is set and recorded", async () => {
    const { pool, run } = setup();
    await deployCanary(run, { percent: 25, list: ["42"], skipPush: true });
    for (const host of [H1, "1.1.1.2"]) {
      const cmds = pool.commands(host);
      const started = cmds.findIndex((c) => /^docker run --detach .* --name app-web-999 /.test(c));
      const target = cmds.indexOf('docker exec kamal-proxy kamal-proxy rollout deploy app-web --target="0123456789ab:80" --deploy-timeout="30s" --drain-timeout="30s"');
      const set = cmds.indexOf('docker exec kamal-proxy kamal-proxy rollout set app-web --percent="25" --list="42"');
      const recorded = cmds.indexOf(`mkdir -p .kamal/apps/app && echo "999 25 42" > ${RECORD}`);
      expect([started > -1, started < target, target < set, set < recorded]).toEqual([true, true, true, true]);
      // The main version keeps running: nothing is stopped, nothing tagged latest.
      expect(cmds.some((c) => /xargs docker stop/.test(c) || c.startsWith("docker tag"))).toBe(false);
    }
    // The jobs role is not part of a canary (it moves with `rollout promote`).
    expect(pool.commands("1.1.1.3").some((c) => c.includes("docker run"))).toBe(false);
    expect(pool.commands(H1).at(-1)).toBe(RELEASE);
  });

  test("a canary that fails its health check is stopped; the split is never set", async () => {
    const { pool, run } = setup();
    pool.answer("kamal-proxy rollout deploy", { code: 1, stderr: "Error: target failed to become healthy" }, { host: "1.1.1.2" });
    await expect(deployCanary(run, { percent: 25, skipPush: true })).rejects.toThrow("the canary did not pass its health check on 1.1.1.2: target failed to become healthy");
    expect(pool.matching("kamal-proxy rollout set")).toEqual([]);
    expect(pool.commands("1.1.1.2")).toContain("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker stop");
    expect(pool.commands(H1).at(-1)).toBe(RELEASE);
  });

  test("a bad percentage is refused before anything runs", async () => {
    const { pool, run } = setup();
    await expect(deployCanary(run, { percent: 101, skipPush: true })).rejects.toThrow("the canary percentage must be a whole number from 0 to 100 (got 101)");
    expect(pool.log).toEqual([]);
  });
});

describe("rollout set / stop / promote", () => {
  test("set: the new split on every web host, recorded", async () => {
    const { pool, run } = setup("999", "999 25");
    await setRollout(run, 60);
    expect(pool.matching('kamal-proxy rollout set app-web --percent="60"').map((r) => r.host)).toEqual([H1, "1.1.1.2"]);
    expect(pool.matching(`echo "999 60" > ${RECORD}`)).toHaveLength(3);
  });

  test("stop: the split off, the canary's containers stopped, the record removed", async () => {
    const { pool, run } = setup("999", "998 25");
    await stopRollout(run);
    const cmds = pool.commands(H1);
    const off = cmds.indexOf("docker exec kamal-proxy kamal-proxy rollout stop app-web");
    const stopped = cmds.indexOf("docker container ls --all --filter 'name=^app-web-998$' --quiet | xargs docker stop");
    expect([off > -1, off < stopped, stopped < cmds.indexOf(`rm -f ${RECORD}`)]).toEqual([true, true, true]);
  });

  test("promote: split off, then a normal boot of the canary version everywhere (jobs too), canary containers retired", async () => {
    const { pool, run } = setup("998", "998 25");
    await promoteRollout(run);
    const cmds = pool.commands(H1);
    const off = cmds.indexOf("docker exec kamal-proxy kamal-proxy rollout stop app-web");
    const switched = cmds.findIndex((c) => c.startsWith('docker exec kamal-proxy kamal-proxy deploy app-web --target="0123456789ab:80"'));
    const retired = cmds.indexOf("docker container ls --quiet --filter 'name=^app-web-998_replaced_' | xargs -r docker stop");
    expect([off > -1, off < switched, switched < retired]).toEqual([true, true, true]);
    expect(cmds).toContain("docker tag dhh/app:998 dhh/app:latest");
    expect(pool.commands("1.1.1.3").some((c) => /^docker run --detach .* --name app-jobs-998 /.test(c))).toBe(true);
    expect(pool.matching(`rm -f ${RECORD}`)).toHaveLength(3);
  });

  test("no canary: set/stop/promote say how to start one", async () => {
    const { run } = setup();
    await expect(stopRollout(run)).rejects.toThrow("no canary is running");
  });

  test("a normal deploy refuses while a canary is out, before pulling anything", async () => {
    const { pool, run } = setup("1000", "999 25");
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("a canary of 999 is running at 25%, not starting a deploy");
    expect(pool.matching("docker pull")).toEqual([]);
    expect(pool.commands(H1).at(-1)).toBe(RELEASE);
  });
});
