/**
 * The deploy lock around deploy: a held lock stops the deploy before anything
 * else runs; the lock is taken after the image is pulled and before the servers change; it is
 * released after a failure too, but never when another deploy holds it.
 */
import { describe, expect, test } from "bun:test";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const STATUS = "stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d";
const ACQUIRE = /^mkdir \.kamal\/lock-app && echo "/;
const RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";
const HOLDER = "Locked by: Someone Else at 2026-12-01T10:00:00Z\nVersion: 123\nMessage: Automatic deploy lock";

function setup(env: Record<string, string> = {}) {
  const config = makeConfig({ servers: ["1.1.1.1", "1.1.1.2"], proxy: { host: "app.example.com" } });
  const pool = new RecordingPool().answer("docker run --detach", "abcdef012345\n");
  return { pool, run: recordingRun(config, pool, { env }) };
}

describe("deploy lock", () => {
  test("a held lock fails the deploy before anything else runs", async () => {
    const { pool, run } = setup();
    pool.answer(STATUS, HOLDER);
    await expect(deploy(run, { skipPush: true })).rejects.toThrow(`Deploy lock found on 1.1.1.1:\n    Locked by: Someone Else at 2026-12-01T10:00:00Z`);
    expect(pool.log.map((r) => `${r.host}: ${r.command}`)).toEqual([`1.1.1.1: ${STATUS}`]);
  });

  test("taken on the primary host before the pull, with .kamal on every host first, and before the servers change", async () => {
    const { pool, run } = setup();
    await deploy(run, { skipPush: true });
    const acquire = pool.position("1.1.1.1", ACQUIRE);
    expect(pool.matching(ACQUIRE).map((r) => r.host)).toEqual(["1.1.1.1"]);
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      expect(pool.position(host, "docker pull dhh/app:999")).toBeGreaterThan(acquire);
      expect(pool.position(host, /^mkdir -p \.kamal$/)).toBeLessThan(acquire);
      expect(pool.position(host, "docker network create kamal")).toBeGreaterThan(acquire);
    }
    expect(pool.commands("1.1.1.1").at(-1)).toBe(RELEASE);
    expect(pool.matching(RELEASE).map((r) => r.host)).toEqual(["1.1.1.1"]);
  });

  test("released after a failure in the last step", async () => {
    const { pool, run } = setup();
    pool.answer("docker image prune --force --filter label=service=app", { code: 1, stderr: "Error response from daemon: a prune operation is already running" }, { host: "1.1.1.2" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("1.1.1.2");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(RELEASE);
  });

  test("another deploy takes it between the check and the mkdir: fail, and leave its lock alone", async () => {
    const { pool, run } = setup();
    // Free at the early check; held by the time this deploy tries to take it.
    pool.answer(STATUS, HOLDER);
    pool.answer(STATUS, { code: 1, stderr: "stat: cannot statx '.kamal/lock-app': No such file or directory" }, { times: 1 });
    pool.answer(ACQUIRE, { code: 1, stderr: "mkdir: cannot create directory '.kamal/lock-app': File exists" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("Deploy lock found on 1.1.1.1:\n    Locked by: Someone Else");
    expect(pool.matching(RELEASE)).toEqual([]);
    expect(pool.matching(/docker network create|docker run/)).toEqual([]);
  });

  test("a release that fails is reported, and the deploy's own error is kept", async () => {
    const { pool, run } = setup();
    pool.answer("docker network create kamal", { code: 1, stderr: "Cannot connect to the Docker daemon" }, { host: "1.1.1.2" });
    pool.answer(RELEASE, { code: 1, stderr: "rm: cannot remove '.kamal/lock-app/details': Permission denied" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("cannot create the kamal network on 1.1.1.2");
    expect(pool.commands("1.1.1.1").at(-1)).toBe(RELEASE);
    expect(run.events.events.some((e) => e.type === "warn" && e.message.startsWith("Error releasing the deploy lock:"))).toBe(true);
  });

  test("KAMAL_LOCK=true (a parent holds the lock): neither checked, taken nor released", async () => {
    const { pool, run } = setup({ KAMAL_LOCK: "true" });
    await deploy(run, { skipPush: true });
    expect(pool.matching(/lock-app/)).toEqual([]);
    expect(pool.matching(/^docker run --detach .* --name app-web-999 /).map((r) => r.host)).toEqual(["1.1.1.1", "1.1.1.2"]);
  });
});
