import { describe, expect, test } from "bun:test";
import { hookEnv, hookFile } from "../../../src/commands/hooks.ts";
import { bootConfigFiles, bootFilePaths, defaultBootOptions, removeBootFiles } from "../../../src/commands/proxy-boot-config.ts";
import { render } from "../../../src/commands/shell.ts";
import { makeConfig } from "./_config.ts";

describe("hooks", () => {
  const run = { recordedAt: "2024-05-01T12:00:00Z", performer: "dhh@example.com", hosts: ["1.1.1.1", "1.1.1.2"], lock: true, command: "deploy" };

  test("deploy env", () => {
    const config = makeConfig({}, { version: "0123456789abcdef" });
    expect(hookEnv(config, "pre-app-boot", run)).toEqual({
      KAMAL_RECORDED_AT: "2024-05-01T12:00:00Z",
      KAMAL_PERFORMER: "dhh@example.com",
      KAMAL_VERSION: "0123456789abcdef",
      KAMAL_SERVICE_VERSION: "app@0123456",
      KAMAL_SERVICE: "app",
      KAMAL_HOSTS: "1.1.1.1,1.1.1.2",
      KAMAL_LOCK: "true",
      KAMAL_COMMAND: "deploy",
    });
  });

  test("destination, roles, subcommand, runtime; secrets only for the secret hooks", () => {
    const config = makeConfig({}, { version: "abc_uncommitted_x", destination: "staging" });
    const extra = { ...run, roles: ["web"], command: "app", subcommand: "boot", runtime: 12.4, lock: false, secrets: { RAILS_MASTER_KEY: "k" } };
    const env = hookEnv(config, "post-deploy", extra);
    expect(env.KAMAL_DESTINATION).toBe("staging");
    expect(env.KAMAL_SERVICE_VERSION).toBe("app@abc_uncommitted_x");
    expect(env.KAMAL_ROLES).toBe("web");
    expect(env.KAMAL_SUBCOMMAND).toBe("boot");
    expect(env.KAMAL_RUNTIME).toBe("12");
    expect(env.KAMAL_LOCK).toBe("false");
    expect(env.RAILS_MASTER_KEY).toBe("k");
    expect(hookEnv(config, "pre-build", extra).RAILS_MASTER_KEY).toBeUndefined();
  });

  test("hook file", () => {
    expect(hookFile(makeConfig(), "pre-deploy")).toBe(".kamal/hooks/pre-deploy");
    expect(hookFile(makeConfig({ hooks_path: "custom/hooks/path" }), "foo")).toBe("custom/hooks/path/foo");
  });
});

describe("proxy boot_config (legacy files)", () => {
  test("defaults write nothing", () => {
    expect(defaultBootOptions()).toBe("--publish 80:80 --publish 443:443 --log-opt max-size=10m");
    expect(bootConfigFiles({})).toEqual({});
  });

  test("ports, metrics, debug, docker options, registry", () => {
    expect(bootConfigFiles({ httpPort: 8080, httpsPort: 8443, metricsPort: 9000, debug: true, dockerOptions: ["label=foo=bar"], registry: "myreg", repository: "myrepo/kamal-proxy" })).toEqual({
      options: "--publish 8080:80 --publish 8443:443 --log-opt max-size=10m --expose=9000 --label=foo=bar",
      image: "myreg/myrepo/kamal-proxy",
      runCommand: 'kamal-proxy run --debug --metrics-port "9000"',
    });
  });

  test("no publish, host IPs, version", () => {
    expect(bootConfigFiles({ publish: false, imageVersion: "v0.9.3" })).toEqual({ options: "--log-opt max-size=10m", imageVersion: "v0.9.3" });
    expect(bootConfigFiles({ publishHostIps: ["127.0.0.1"] }).options).toBe("--publish 127.0.0.1:80:80 --publish 127.0.0.1:443:443 --log-opt max-size=10m");
  });

  test("reset and paths", () => {
    expect(render(removeBootFiles(".kamal"))).toBe("rm -f .kamal/proxy/options .kamal/proxy/image .kamal/proxy/image_version .kamal/proxy/run_command");
    expect(bootFilePaths(".kamal").imageVersion).toBe(".kamal/proxy/image_version");
  });
});
