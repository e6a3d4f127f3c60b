/**
 * The pre-connect hook fires once per run, before the first command reaches any server, whichever
 * orchestration runs (the session fires it on its first connection). Every hook appends "NAME
 * HOSTS" to a file; each command the recording pool receives notes how many pre-connect lines
 * were there when it was sent.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Raw, SextantConfig } from "../../../src/config/model.ts";
import { accessoriesNamed, bootAccessory } from "../../../src/orchestration/accessory.ts";
import { appDetails } from "../../../src/orchestration/app-ops.ts";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { proxyReboot } from "../../../src/orchestration/proxy-ops.ts";
import type { Run } from "../../../src/orchestration/run.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pre-connect-"));
  mkdirSync(join(dir, ".kamal/hooks"), { recursive: true });
  writeFileSync(join(dir, ".kamal/secrets"), "");
  const file = join(dir, ".kamal/hooks/pre-connect");
  writeFileSync(file, `#!/bin/sh\necho "pre-connect $KAMAL_HOSTS" >> "${join(dir, "hooks.log")}"\n`);
  chmodSync(file, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const preConnectLines = () => (existsSync(join(dir, "hooks.log")) ? readFileSync(join(dir, "hooks.log"), "utf8").trim().split("\n") : []);

function setup(raw: Raw, command: string) {
  const config = new SextantConfig({ ...structuredClone(BASE), proxy: { host: "app.example.com" }, ...raw }, { declaredVersion: "999", cwd: dir, env: {}, configFile: "config/deploy.yml", files: [] });
  const pool = new RecordingPool().answer("docker run --detach", "abcdef012345\n");
  // How many times the hook had run when each command was sent (answers nothing itself).
  const seen: number[] = [];
  pool.answer(/(?:)/, () => {
    seen.push(preConnectLines().length);
    return undefined;
  });
  return { pool, seen, run: recordingRun(config, pool, { command, skipHooks: false }) };
}

const cases: [string, Raw, string, (run: Run) => Promise<unknown>][] = [
  ["deploy (lock, pull, proxy, boot, prune)", { servers: ["1.1.1.1", "1.1.1.2"] }, "deploy", (run) => deploy(run, { skipPush: true })],
  ["app details (parallel reads)", { servers: ["1.1.1.1", "1.1.1.2", "1.1.1.3"] }, "app", (run) => appDetails(run)],
  ["proxy reboot --rolling", { servers: ["1.1.1.1", "1.1.1.2"] }, "proxy", (run) => proxyReboot(run, { rolling: true })],
  ["accessory boot (no lock, one host)", { servers: ["1.1.1.1"], accessories: { mysql: { image: "mysql:8", host: "1.1.1.5" } } }, "accessory", (run) => bootAccessory(run, accessoriesNamed(run, "mysql")[0]!)],
];

describe("pre-connect fires once, before the first command", () => {
  for (const [name, raw, command, act] of cases) {
    test(name, async () => {
      const { pool, seen, run } = setup(raw, command);
      await act(run);
      expect(pool.log.length).toBeGreaterThan(0);
      expect(seen.length).toBe(pool.log.filter((r) => r.content === undefined).length);
      // Every command sent found exactly one run of the hook behind it.
      expect(new Set(seen)).toEqual(new Set([1]));
      expect(preConnectLines()).toEqual([`pre-connect ${run.selection.hosts.join(",")}`]);
    });
  }

  test("a failing hook stops the run once, before any server is reached", async () => {
    writeFileSync(join(dir, ".kamal/hooks/pre-connect"), "#!/bin/sh\necho 'vpn down' >&2\nexit 1\n");
    const { pool, run } = setup({ servers: ["1.1.1.1", "1.1.1.2"] }, "app");
    await expect(appDetails(run)).rejects.toThrow(/pre-connect/);
    expect(pool.log).toEqual([]);
    expect(run.events.events.filter((e) => e.type === "host-failed")).toEqual([]);
  });

  test("without a hook file nothing runs and commands still go out", async () => {
    rmSync(join(dir, ".kamal/hooks/pre-connect"));
    const { pool, run } = setup({ servers: ["1.1.1.1"] }, "app");
    await appDetails(run);
    expect(pool.commands("1.1.1.1").length).toBeGreaterThan(0);
    expect(preConnectLines()).toEqual([]);
  });
});
