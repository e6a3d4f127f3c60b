/**
 * What the `accessory` sub-commands run, now that the CLI only reads arguments: changes happen under
 * the deploy lock on the primary host, accessory by accessory (restart = stop, then start), `upgrade
 * --rolling` reboots one host at a time, and `exec`/`logs` refuse `all`.
 */
import { describe, expect, test } from "bun:test";
import { changeAccessories, oneAccessory, upgradeAccessories } from "../../../src/orchestration/accessory-ops.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

function setup() {
  const config = makeConfig({
    servers: ["1.1.1.1"],
    accessories: {
      redis: { image: "redis:7", hosts: ["1.1.1.3", "1.1.1.4"] },
      mysql: { image: "mysql:8", host: "1.1.1.5" },
    },
  });
  const pool = new RecordingPool();
  return { pool, run: recordingRun(config, pool, { command: "accessory" }) };
}

describe("accessory changes", () => {
  test("restart all: under the lock, each accessory stopped then started", async () => {
    const { pool, run } = setup();
    await changeAccessories(run, "all", "restart");
    const lock = pool.position("1.1.1.1", "mkdir .kamal/lock-app");
    const release = pool.position("1.1.1.1", "rm -r .kamal/lock-app");
    expect(lock).toBeGreaterThanOrEqual(0);
    for (const [host, name] of [
      ["1.1.1.3", "app-redis"],
      ["1.1.1.4", "app-redis"],
      ["1.1.1.5", "app-mysql"],
    ] as const) {
      const stop = pool.position(host, `docker container stop ${name}`);
      const start = pool.position(host, `docker container start ${name}`);
      expect(lock).toBeLessThan(stop);
      expect(stop).toBeLessThan(start);
      expect(start).toBeLessThan(release);
    }
    // Accessory by accessory: every redis host is done before mysql starts.
    expect(pool.position("1.1.1.4", "docker container start app-redis")).toBeLessThan(pool.position("1.1.1.5", "docker container stop app-mysql"));
  });

  test("upgrade --rolling: one host at a time, in order", async () => {
    const { pool, run } = setup();
    await upgradeAccessories(run, "redis", { rolling: true });
    // The reboot's own commands (the lock first touches every host: its run directory).
    const on = (host: string) => pool.log.flatMap((r, i) => (r.host === host && r.command.includes("redis") ? [i] : []));
    const first = on("1.1.1.3");
    const second = on("1.1.1.4");
    expect(first.length).toBeGreaterThan(0);
    expect(Math.max(...first)).toBeLessThan(Math.min(...second));
    expect(pool.commands("1.1.1.5").filter((c) => c.includes("mysql"))).toEqual([]);
  });

  test("exec and logs need one accessory", () => {
    const { run } = setup();
    expect(oneAccessory(run, "mysql", "exec").name).toBe("mysql");
    expect(() => oneAccessory(run, "all", "logs")).toThrow("accessory logs needs one accessory's name, not `all`");
    expect(() => oneAccessory(run, "pg", "exec")).toThrow("No accessory by the name of 'pg' (options: redis and mysql)");
  });
});
