import { describe, expect, test } from "bun:test";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

describe("deploy", () => {
  test("runs", async () => {
    const config = makeConfig({ proxy: { host: "app.example.com" } });
    const pool = new RecordingPool();
    pool.answer("docker run --detach", "abcdef012345\n");
    const run = recordingRun(config, pool);
    await deploy(run, { skipPush: true });
    console.log(pool.commands("1.1.1.1").join("\n"));
  });
});
