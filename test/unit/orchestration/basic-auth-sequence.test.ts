/**
 * proxy.basic_auth on a recording session: the credentials travel as a 0600 file the proxy reads,
 * named on the deploy line by path only, and the file is deleted after the deploys — also when one
 * fails. The password never shows in a command or an event.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SextantConfig } from "../../../src/config/model.ts";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-basic-auth-"));
mkdirSync(join(dir, ".kamal"));
writeFileSync(join(dir, ".kamal/secrets"), "AUTH_USER=ops\nAUTH_PASSWORD=very-secret-pw\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(basicAuth: Record<string, string>) {
  const config = new SextantConfig({ ...structuredClone(BASE), proxy: { host: "app.example.com", basic_auth: basicAuth } }, { declaredVersion: "v2", cwd: dir, env: {}, configFile: "config/deploy.yml", files: [] });
  const pool = new RecordingPool().answer(/docker run --detach/, "0123456789ab\n");
  return { pool, run: recordingRun(config, pool) };
}

describe("proxy.basic_auth", () => {
  test("a 0600 credentials file before the proxy deploy, named by path on its line, deleted after", async () => {
    const { pool, run } = setup({ username: "AUTH_USER", password: "AUTH_PASSWORD" });
    await deploy(run, { skipPush: true });
    const cmds = pool.commands("1.1.1.1");
    const upload = cmds.indexOf("upload .kamal/proxy/apps-config/app/basic_auth/web (600)");
    const deployAt = cmds.findIndex((c) => c.startsWith("docker exec kamal-proxy kamal-proxy deploy app-web"));
    const removed = cmds.indexOf("rm -rf .kamal/proxy/apps-config/app/basic_auth");
    expect([upload > -1, upload < deployAt, deployAt < removed]).toEqual([true, true, true]);
    expect(cmds[deployAt]).toContain('--basic-auth-file="/home/kamal-proxy/.apps-config/app/basic_auth/web"');
    expect(pool.uploads("1.1.1.1")[0]!.content).toBe("ops:very-secret-pw\n");
    expect(pool.log.filter((r) => r.content === undefined).some((r) => r.command.includes("very-secret-pw"))).toBe(false);
    expect(JSON.stringify(run.events.events)).not.toContain("very-secret-pw");
  });

  test("the file is deleted when the deploy fails too", async () => {
    const { pool, run } = setup({ username: "plain-user", password: "AUTH_PASSWORD" });
    pool.answer("kamal-proxy deploy", { code: 1, stderr: "Error: target failed to become healthy" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("health check");
    expect(pool.uploads("1.1.1.1")[0]!.content).toBe("plain-user:very-secret-pw\n");
    expect(pool.commands("1.1.1.1")).toContain("rm -rf .kamal/proxy/apps-config/app/basic_auth");
  });

  test("a password that is not a secret is refused before any app container starts", async () => {
    const { pool, run } = setup({ username: "ops", password: "hunter2" });
    await expect(deploy(run, { skipPush: true })).rejects.toThrow("proxy.basic_auth.password: hunter2 is not a secret");
    expect(pool.matching("docker run --detach")).toEqual([]);
  });
});
