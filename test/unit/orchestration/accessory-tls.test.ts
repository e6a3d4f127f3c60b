/**
 * A proxied accessory with its own certificate (`accessories.NAME.proxy.ssl.certificate_pem`):
 * the PEMs are written 0600 before the proxy is told about the accessory, and the proxy deploy
 * names them — never a silent fall-back to Let's Encrypt.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SextantConfig } from "../../../src/config/model.ts";
import { bootAccessory } from "../../../src/orchestration/accessory.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { BASE } from "../commands/_config.ts";
import { loadError, BASE as YAML_BASE } from "../config/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-accessory-tls-"));
mkdirSync(join(dir, ".kamal"));
writeFileSync(join(dir, ".kamal/secrets"), "CERT_PEM=-----BEGIN CERTIFICATE-----x\nKEY_PEM=very-private-key\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = new SextantConfig(
  {
    ...structuredClone(BASE),
    accessories: {
      admin: {
        image: "admin:1",
        host: "1.1.1.2",
        proxy: { host: "admin.example.com", app_port: 8080, ssl: { certificate_pem: "CERT_PEM", private_key_pem: "KEY_PEM" } },
      },
    },
  },
  { declaredVersion: "v1", cwd: dir, env: {}, configFile: "config/deploy.yml", files: [] },
);

describe("accessory with a custom certificate", () => {
  test("the PEMs are uploaded 0600 before the proxy deploy, which names them", async () => {
    const pool = new RecordingPool().answer("docker container inspect app-admin --format '{{.Id}}'", { code: 1 }).answer(/docker container ls --all --filter 'name=\^app-admin\$' --quiet/, "0123456789ab\n");
    const run = recordingRun(config, pool, { command: "accessory", subcommand: "boot" });
    await bootAccessory(run, config.accessory("admin")!);
    const cmds = pool.commands("1.1.1.2");
    const dirAt = cmds.indexOf("mkdir -p .kamal/proxy/apps-config/app/tls/accessories/admin");
    const certAt = cmds.indexOf("upload .kamal/proxy/apps-config/app/tls/accessories/admin/cert.pem (600)");
    const keyAt = cmds.indexOf("upload .kamal/proxy/apps-config/app/tls/accessories/admin/key.pem (600)");
    const deployAt = cmds.findIndex((c) => c.startsWith("docker exec kamal-proxy kamal-proxy deploy app-admin"));
    expect([dirAt > -1, dirAt < certAt, certAt < keyAt, keyAt < deployAt]).toEqual([true, true, true, true]);
    expect(pool.uploads("1.1.1.2").find((u) => u.command.includes("key.pem"))!.content).toBe("very-private-key");
    expect(cmds[deployAt]).toContain(
      '--tls --tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/accessories/admin/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/app/tls/accessories/admin/key.pem"',
    );
    // The key never shows in what the user sees.
    expect(JSON.stringify(run.events.events)).not.toContain("very-private-key");
  });
});

describe("proxy.ssl without a host", () => {
  test("a custom certificate without host names is refused at load, as in Kamal", () => {
    const yaml = `${YAML_BASE}proxy:\n  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n`;
    expect(loadError(yaml).message).toContain("proxy/ssl: Must set a host to enable automatic SSL");
  });
});
