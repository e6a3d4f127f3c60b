/**
 * Where the hooks fall among the remote commands: pre-deploy
 * once the lock is held, pre-app-boot / post-app-boot around each boot group with KAMAL_HOSTS set
 * to the group, post-deploy after the lock is released; pre/post-proxy-reboot around each
 * `--rolling` group. Every hook appends "NAME HOSTS" to a file; each remote command notes which
 * hooks had run by the time it was sent.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOOK_NAMES } from "../../../src/commands/hooks.ts";
import { type Raw, SextantConfig } from "../../../src/config/model.ts";
import { deploy, rollback } from "../../../src/orchestration/deploy.ts";
import { proxyReboot } from "../../../src/orchestration/proxy-ops.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hooks-sequence-"));
  mkdirSync(join(dir, ".kamal/hooks"), { recursive: true });
  writeFileSync(join(dir, ".kamal/secrets"), "");
  for (const name of HOOK_NAMES) {
    const file = join(dir, ".kamal/hooks", name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $KAMAL_HOSTS" >> "${join(dir, "hooks.log")}"\n`);
    chmodSync(file, 0o755);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The hooks run so far, as "NAME HOSTS" lines. */
const hooksRun = () => (existsSync(join(dir, "hooks.log")) ? readFileSync(join(dir, "hooks.log"), "utf8").trim().split("\n") : []);

/** `answers` script the servers; the observer goes last, so it sees every command first. */
function setup(raw: Raw, command = "deploy", answers: (pool: RecordingPool) => void = () => {}) {
  const config = new SextantConfig({ ...structuredClone(BASE), proxy: { host: "app.example.com" }, ...raw }, { declaredVersion: "999", cwd: dir, env: {}, configFile: "config/deploy.yml", files: [] });
  const pool = new RecordingPool().answer("docker run --detach", "abcdef012345\n");
  answers(pool);
  // For each command sent (its first time): the hooks that had run by then (answers nothing itself).
  const before = new Map<string, string[]>();
  pool.answer(/(?:)/, (command, host) => {
    if (!before.has(`${host} ${command}`)) before.set(`${host} ${command}`, hooksRun());
    return undefined;
  });
  const hooksBefore = (host: string, prefix: string) => {
    const key = [...before.keys()].find((k) => k.startsWith(`${host} ${prefix}`));
    if (!key) throw new Error(`no command on ${host} starting with ${prefix}`);
    return before.get(key)!;
  };
  return { pool, hooksBefore, run: recordingRun(config, pool, { command, skipHooks: false }) };
}

describe("deploy hooks", () => {
  test("pre-deploy once the lock is held, before the proxy boots; post-deploy after the release", async () => {
    const { hooksBefore, run } = setup({ servers: ["1.1.1.1"] });
    await deploy(run, { skipPush: true });
    expect(hooksBefore("1.1.1.1", "mkdir .kamal/lock-app")).not.toContain("pre-deploy 1.1.1.1");
    expect(hooksBefore("1.1.1.1", "docker network create kamal")).toContain("pre-deploy 1.1.1.1");
    expect(hooksBefore("1.1.1.1", "rm .kamal/lock-app")).not.toContain("post-deploy 1.1.1.1");
    expect(hooksRun().at(-1)).toBe("post-deploy 1.1.1.1");
  });

  test("pre-app-boot and post-app-boot around each boot group, with the group's hosts", async () => {
    const { hooksBefore, run } = setup({ servers: ["1.1.1.1", "1.1.1.2"], boot: { limit: 1 } });
    await deploy(run, { skipPush: true });
    // Group 1 is 1.1.1.1, group 2 is 1.1.1.2.
    expect(hooksBefore("1.1.1.1", "docker run --detach")).toContain("pre-app-boot 1.1.1.1");
    expect(hooksBefore("1.1.1.1", "docker run --detach")).not.toContain("post-app-boot 1.1.1.1");
    const beforeSecond = hooksBefore("1.1.1.2", "docker run --detach");
    expect(beforeSecond.slice(-2)).toEqual(["post-app-boot 1.1.1.1", "pre-app-boot 1.1.1.2"]);
    expect(hooksBefore("1.1.1.2", "docker tag")).toContain("post-app-boot 1.1.1.2");
  });

  test("a failing pre-deploy hook stops the deploy before the servers change, and releases the lock", async () => {
    writeFileSync(join(dir, ".kamal/hooks/pre-deploy"), "#!/bin/sh\necho 'migrations pending' >&2\nexit 1\n");
    const { pool, run } = setup({ servers: ["1.1.1.1"] });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("Hook `pre-deploy` failed (exit 1):\nmigrations pending");
    expect(pool.matching(/docker network create|docker run/)).toEqual([]);
    expect(pool.commands("1.1.1.1").at(-1)).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(hooksRun()).not.toContain("post-deploy 1.1.1.1");
  });
});

describe("rollback hooks", () => {
  test("pre-deploy after the version check, post-deploy at the end", async () => {
    const { hooksBefore, run } = setup({ servers: ["1.1.1.1"] }, "rollback", (pool) => pool.answer("docker container ls --all --filter 'name=^app-web-999$' --quiet", "aaaaaaaaaaaa\n"));
    await rollback(run);
    expect(hooksBefore("1.1.1.1", "docker container ls --all --filter 'name=^app-web-999$' --quiet")).not.toContain("pre-deploy 1.1.1.1");
    expect(hooksBefore("1.1.1.1", "docker run --detach")).toContain("pre-deploy 1.1.1.1");
    expect(hooksRun().at(-1)).toBe("post-deploy 1.1.1.1");
  });

  test("a version that is not there: neither pre-deploy nor post-deploy runs", async () => {
    const { run } = setup({ servers: ["1.1.1.1"] }, "rollback");
    await expect(rollback(run)).rejects.toThrow("The app version '999' is not available as a container");
    expect(hooksRun().filter((h) => h.startsWith("pre-deploy") || h.startsWith("post-deploy"))).toEqual([]);
  });
});

describe("proxy reboot hooks", () => {
  test("--rolling: pre- and post-proxy-reboot around each host", async () => {
    const { hooksBefore, run } = setup({ servers: ["1.1.1.1", "1.1.1.2"] }, "proxy");
    await proxyReboot(run, { rolling: true });
    expect(hooksBefore("1.1.1.1", "docker container stop kamal-proxy").at(-1)).toBe("pre-proxy-reboot 1.1.1.1");
    expect(hooksBefore("1.1.1.2", "docker container stop kamal-proxy").slice(-2)).toEqual(["post-proxy-reboot 1.1.1.1", "pre-proxy-reboot 1.1.1.2"]);
    expect(hooksRun().at(-1)).toBe("post-proxy-reboot 1.1.1.2");
  });
});
