/** `registry` sub-commands: log out on the servers only with --skip-local; login/logout refuse a local registry. */
import { describe, expect, test } from "bun:test";
import { refuseLocalRegistry, registryRemove, registrySetup } from "../../../src/orchestration/registry-ops.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

describe("registry commands", () => {
  test("remove --skip-local logs out on every selected server and nothing else", async () => {
    const pool = new RecordingPool();
    const run = recordingRun(makeConfig({ servers: ["1.1.1.1", "1.1.1.2"], registry: { server: "ghcr.io", username: "u", password: "p" } }), pool, { command: "registry" });
    await registryRemove(run, { skipLocal: true });
    expect(pool.commands("1.1.1.1")).toEqual(["docker logout ghcr.io"]);
    expect(pool.commands("1.1.1.2")).toEqual(["docker logout ghcr.io"]);
  });

  test("a local registry: login and logout point at setup and remove; --skip-local leaves the servers alone", async () => {
    const pool = new RecordingPool();
    const run = recordingRun(makeConfig({ registry: { server: "localhost:5555" } }), pool, { command: "registry" });
    expect(() => refuseLocalRegistry(run, "login")).toThrow("Cannot use login command with a local registry. Use `sextant registry setup` instead.");
    expect(() => refuseLocalRegistry(run, "logout")).toThrow("Use `sextant registry remove` instead.");
    await registrySetup(run, { skipLocal: true });
    await registryRemove(run, { skipLocal: true });
    expect(pool.log).toEqual([]);
  });
});
