/**
 * Faults during the pull: a connection lost under it is retried (the pull is idempotent) and the
 * deploy goes on; a full disk is named as such, with where Docker keeps its data; both leave the
 * lock released.
 */
import { describe, expect, test } from "bun:test";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

const PULL = /&& docker pull dhh\/app:999 && /;
const RELEASE = "rm .kamal/lock-app/details && rm -r .kamal/lock-app";

function setup() {
  const config = makeConfig({ servers: ["1.1.1.1", "1.1.1.2"], proxy: { host: "app.example.com" } });
  const pool = new RecordingPool().answer(/docker run --detach/, "0123456789ab\n");
  return { pool, run: recordingRun(config, pool) };
}

describe("pull faults", () => {
  test("a connection lost during the pull: reconnect, pull again, deploy completes", async () => {
    const { pool, run } = setup();
    pool.answer(PULL, { code: null, stderr: "" }, { host: "1.1.1.2", times: 1 });
    await deploy(run, { skipPush: true });
    expect(pool.commands("1.1.1.2").filter((c) => PULL.test(c))).toHaveLength(2);
    expect(
      pool
        .matching("kamal-proxy deploy app-web")
        .map((r) => r.host)
        .sort(),
    ).toEqual(["1.1.1.1", "1.1.1.2"]);
    const warnings = run.events.events.filter((e) => e.type === "warn").map((e) => (e as { message: string }).message);
    expect(warnings).toContain("1.1.1.2: the connection was lost during the pull; reconnecting and running it again (1/2)");
  });

  test("a pull that fails for another reason is not repeated", async () => {
    const { pool, run } = setup();
    pool.answer(PULL, { code: 1, stderr: "manifest unknown" }, { host: "1.1.1.2" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("1.1.1.2");
    expect(pool.commands("1.1.1.2").filter((c) => PULL.test(c))).toHaveLength(1);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(RELEASE);
  });

  test("a full disk is named, with Docker's data directory and the space left; nothing boots", async () => {
    const { pool, run } = setup();
    pool.answer(PULL, { code: 1, stderr: "failed to register layer: write /var/lib/docker/x: no space left on device" }, { host: "1.1.1.2" });
    pool.answer(/^df -h --output=target,avail,size/, "/var/lib/docker: 12K free of 300M\n", { host: "1.1.1.2" });
    const error = (await deploy(run, { skipPush: true }).catch((e) => e)) as Error & { hint?: string };
    expect(error.message).toBe('Exception while executing on host 1.1.1.2: the disk is full: pulling dhh/app:999 failed with "no space left on device" (/var/lib/docker: 12K free of 300M)');
    expect(error.hint).toContain("The running version is still serving");
    expect(pool.matching("docker run --detach")).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe(RELEASE);
  });
});
