/**
 * What a deploy writes on servers besides containers: the role's
 * env file (secrets only, mode 0600) before every `docker run`; custom TLS certificates on every
 * host before any container starts; and accessories left alone (their hosts only get the network,
 * the lock's run directory and the prune).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Raw, SextantConfig } from "../../../src/config/model.ts";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "deploy-files-"));
  mkdirSync(join(dir, ".kamal"));
  writeFileSync(join(dir, ".kamal/secrets"), "RAILS_MASTER_KEY=0123abcd\nCERT_PEM=-----BEGIN CERTIFICATE-----\nKEY_PEM=-----BEGIN PRIVATE KEY-----\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config read from a project directory that has a secrets file. */
function setup(overrides: Raw) {
  const config = new SextantConfig({ ...structuredClone(BASE), servers: ["1.1.1.1", "1.1.1.2"], ...overrides }, { declaredVersion: "999", cwd: dir, env: {}, configFile: "config/deploy.yml", files: [] });
  const pool = new RecordingPool().answer("docker run --detach", "abcdef012345\n");
  return { pool, run: recordingRun(config, pool) };
}

describe("deploy writes", () => {
  test("the role's env file: secrets only, mode 0600, just before the container runs", async () => {
    const { pool, run } = setup({ proxy: { host: "app.example.com" }, env: { clear: { DB_HOST: "db" }, secret: ["RAILS_MASTER_KEY"] } });
    await deploy(run, { skipPush: true });
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      const upload = pool.uploads(host).find((u) => u.command.startsWith("upload .kamal/apps/app/env/roles/web.env"));
      expect(upload?.mode).toBe(0o600);
      expect(upload?.content).toBe("RAILS_MASTER_KEY=0123abcd\n");
      const commands = pool.commands(host);
      const runAt = commands.findIndex((c) => c.startsWith("docker run --detach"));
      expect(commands[runAt - 1]).toBe("upload .kamal/apps/app/env/roles/web.env (600)");
      expect(commands[runAt]).toContain('--env DB_HOST="db" --env-file .kamal/apps/app/env/roles/web.env ');
    }
    // The secret's value never appears in a command line.
    expect(pool.log.filter((r) => r.content === undefined && r.command.includes("0123abcd"))).toEqual([]);
  });

  test("custom TLS certificates on every host before any container starts", async () => {
    const { pool, run } = setup({ proxy: { host: "app.example.com", ssl: { certificate_pem: "CERT_PEM", private_key_pem: "KEY_PEM" } } });
    await deploy(run, { skipPush: true });
    const firstRun = pool.log.findIndex((r) => r.command.startsWith("docker run --detach"));
    for (const host of ["1.1.1.1", "1.1.1.2"]) {
      const commands = pool.commands(host);
      const tlsDir = commands.indexOf("mkdir -p .kamal/proxy/apps-config/app/tls/web");
      expect(tlsDir).toBeGreaterThan(-1);
      expect(commands.slice(tlsDir + 1, tlsDir + 3)).toEqual(["upload .kamal/proxy/apps-config/app/tls/web/cert.pem (600)", "upload .kamal/proxy/apps-config/app/tls/web/key.pem (600)"]);
      expect(pool.position(host, "upload .kamal/proxy/apps-config/app/tls/web/key.pem")).toBeLessThan(firstRun);
      expect(pool.uploads(host).find((u) => u.command.includes("key.pem"))?.content).toBe("-----BEGIN PRIVATE KEY-----");
      expect(commands.find((c) => c.includes("kamal-proxy deploy app-web"))).toContain(
        '--tls --tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/web/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/app/tls/web/key.pem"',
      );
    }
  });

  test("accessories are not booted or rebooted by deploy; their host gets the network, the run directory and the prune", async () => {
    const { pool, run } = setup({ proxy: { host: "app.example.com" }, accessories: { redis: { image: "redis:7", host: "1.1.1.3", port: 6379 } } });
    await deploy(run, { skipPush: true });
    const commands = pool.script("1.1.1.3");
    expect(commands.filter((c) => c.includes("redis") || c.startsWith("docker run") || c.includes("kamal-proxy"))).toEqual([]);
    expect(commands).toContain("docker network create kamal");
    expect(commands).toContain("mkdir -p .kamal");
    expect(commands).toContain("AUDIT Pruned containers");
    expect(commands).toContain("docker image prune --force --filter label=service=app");
  });
});
