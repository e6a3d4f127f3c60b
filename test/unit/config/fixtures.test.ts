/**
 * Every Kamal fixture, with and without destinations: the same verdict as Kamal 2.12 and the same
 * derived values as `kamal config -c <fixture> --version 123`.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, kamalConfigHash, loadConfig } from "../../../src/config/index.ts";
import { FIXTURES, fixturePath, readYaml } from "./helpers.ts";

const fixtureDir = join(FIXTURES, "kamal-fixtures");
const outputDir = join(FIXTURES, "kamal-config-output");
const overlays = /\.(world|mars|elsewhere)\.yml$/;
const bases = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".yml") && !overlays.test(f))
  .sort();

const REJECTED: Record<string, string> = {
  "deploy_for_dest.yml": "No servers or accessories specified",
  "deploy_for_required_dest.yml": "You must specify a destination",
  "deploy_with_proxy_run_config_conflicts.yml": "Conflicting proxy run configurations for host 1.1.1.2",
};

const DESTINATIONS: [string, string][] = [
  ["deploy_for_dest.yml", "world"],
  ["deploy_for_dest.yml", "mars"],
  ["deploy_for_required_dest.yml", "world"],
  ["deploy.yml", "elsewhere"],
];

function load(file: string, destination?: string) {
  // The outputs were recorded on an amd64 machine (Kamal::Utils.docker_arch in some fixtures).
  return loadConfig({ configFile: file, destination, version: "123", cwd: fixtureDir, env: {}, dockerArch: "amd64" });
}

describe("Kamal fixtures: verdicts", () => {
  test("there are fixtures to check", () => {
    expect(bases.length).toBeGreaterThan(35);
  });
  for (const file of bases) {
    test(`${file} without a destination`, () => {
      const expected = REJECTED[file];
      if (expected) {
        let error: unknown;
        try {
          load(file);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems.map((p) => p.message)).toContain(expected);
        expect((error as ConfigError).message).toContain(`${file}:`);
      } else {
        expect(() => load(file)).not.toThrow();
      }
    });
  }
  for (const [file, destination] of DESTINATIONS) {
    test(`${file} -d ${destination}`, () => {
      const config = load(file, destination);
      expect(config.destination).toBe(destination);
      expect(config.files).toEqual([file, file.replace(/\.yml$/, `.${destination}.yml`)]);
    });
  }
  test("a missing destination file is a config error naming it", () => {
    expect(() => load("deploy_simple.yml", "nowhere")).toThrow("Configuration file not found in deploy_simple.nowhere.yml");
  });
});

describe("Kamal fixtures: derived values agree with `kamal config`", () => {
  const outputs = readdirSync(outputDir).filter((f) => f.endsWith(".yml"));
  test("every output has a fixture", () => {
    expect(outputs.length).toBe(40);
  });
  for (const output of outputs) {
    const destination = /^(.*)\.(world|mars)\.yml$/.exec(output);
    const file = destination ? `${destination[1]}.yml` : output;
    test(`${output}`, () => {
      const config = load(file, destination?.[2]);
      const expected = readYaml(join(outputDir, output));
      expect(kamalConfigHash(config)).toEqual(expected as Record<string, unknown>);
    });
  }
});

describe("Kamal fixtures: model details", () => {
  test("roles are sorted by name; primary host comes from the primary role", () => {
    const config = load("deploy_with_roles_workers_primary.yml");
    expect(config.roles.map((r) => r.name)).toEqual(["web", "workers"]);
    expect(config.primaryRole?.name).toBe("workers");
    expect(config.primaryHost).toBe("1.1.1.1");
    expect(config.rolesPrimaryFirst.map((r) => r.name)).toEqual(["workers", "web"]);
    expect(config.allHosts).toEqual(["1.1.1.3", "1.1.1.4", "1.1.1.1", "1.1.1.2"]);
  });

  test("env tags: root env, then each host tag in order", () => {
    const config = load("deploy_with_env_tags.yml");
    const web = config.role("web")!;
    // `[ site1 experimental ]` is one flow item in YAML (no comma): one tag, matching no env tag.
    expect(web.hostTags["1.1.1.2"]).toEqual(["site1 experimental"]);
    expect(web.env("1.1.1.1").clear).toEqual({ TEST: "root", EXPERIMENT: "disabled", SITE: "site1" });
    expect(web.env("1.1.1.1").tags).toEqual(["site1"]);
    expect(web.env("1.1.1.2").clear).toEqual({ TEST: "root", EXPERIMENT: "disabled" });
    expect(config.role("workers")!.env("1.2.1.3").clear).toEqual({ TEST: "root", EXPERIMENT: "disabled", SITE: "site2" });
  });

  test("proxy: primary role by default, role hash merged over the root", () => {
    const config = load("deploy_with_proxy_roles.yml");
    expect(config.role("web")!.proxy?.responseTimeout).toBe(10);
    expect(config.role("web2")!.proxy?.responseTimeout).toBe(15);
    const workers = load("deploy_with_proxy.yml").role("workers")!;
    expect(workers.runningProxy).toBe(false);
    expect(workers.stopTimeout).toBe(30);
    expect(load("deploy_with_only_workers.yml").role("workers")!.runningProxy).toBe(false);
    const multi = load("deploy_with_multiple_proxy_roles.yml");
    expect(multi.proxyRoles.map((r) => r.name)).toEqual(["web", "web_tokyo"]);
    expect(multi.role("workers")!.cmd).toBe("bin/jobs");
  });

  test("proxy run settings", () => {
    const config = load("deploy_with_proxy_run_config.yml");
    const run = config.role("web")!.proxy!.run!;
    expect(run.image).toBe("registry:4443/basecamp/kamal-proxy:v0.9.2");
    expect(run.debug).toBe(true);
    expect(run.metricsPort).toBe(9090);
    expect(run.options).toEqual({ cpus: 1.5 });
    expect(config.accessory("mysql")!.proxy!.run!.metricsPort).toBe(9190);
    expect(config.proxyHosts).toEqual(["1.1.1.1", "1.1.1.2", "1.1.1.3"]);
  });

  test("accessories: hosts, service names, ports, registries, volumes", () => {
    const config = load("deploy_with_accessories_with_different_registries.yml");
    const mysql = config.accessory("mysql")!;
    expect(mysql.serviceName).toBe("app-mysql");
    expect(mysql.port).toBe("3306:3306");
    expect(mysql.hosts).toEqual(["1.1.1.3"]);
    expect(mysql.volumes).toEqual(["$PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf", "$PWD/app-mysql/data:/var/lib/mysql"]);
    expect(mysql.env.clear).toEqual({ MYSQL_ROOT_HOST: "%" });
    expect(mysql.env.secretKeys).toEqual(["MYSQL_ROOT_PASSWORD"]);
    expect(config.accessory("redis")!.hosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    const busybox = config.accessory("busybox")!;
    expect(busybox.serviceName).toBe("custom-box");
    expect(busybox.image).toBe("other.registry/busybox:latest");
    expect(busybox.labels).toEqual({ service: "custom-box" });
  });

  test("builders", () => {
    expect(load("deploy_simple.yml").builder.kind("amd64")).toBe("local");
    expect(load("deploy_simple.yml").builder.name("amd64")).toBe("kamal-local-docker-container");
    const hybrid = load("deploy_with_hybrid_builder.yml").builder;
    expect(hybrid.kind("amd64")).toBe("hybrid");
    expect(hybrid.remoteArches("amd64")).toEqual(["arm64"]);
    expect(hybrid.name("amd64")).toBe("kamal-hybrid-docker-container-ssh---app-1-1-1-5");
    const remote = load("deploy_with_remote_builder_and_custom_ports.yml").builder;
    expect(remote.kind("amd64")).toBe("remote");
    expect(remote.name("amd64")).toBe("kamal-remote-ssh---app-1-1-1-5-2122");
    expect(load("deploy_with_cloud_builder.yml").builder.name("amd64")).toBe("cloud-example_org-cloud_builder");
    expect(load("deploy_with_local_registry_and_remote_builder.yml").builder.name("amd64")).toBe("kamal-remote-ssh---app-1-1-1-5-local-registry");
    expect(load("deploy_without_clone.yml").builder.gitClone).toBe(false);
  });

  test("boot limit and wait", () => {
    const config = load("deploy_with_boot_strategy.yml");
    expect(config.boot).toEqual({ limit: 3, wait: 2, parallelRoles: false });
    expect(load("deploy_with_parallel_roles.yml").boot.parallelRoles).toBe(true);
  });

  test("names, images and directories with a destination", () => {
    const config = load("deploy_for_dest.yml", "world");
    expect(config.latestTag).toBe("latest-world");
    expect(config.latestImage).toBe("registry.digitalocean.com/dhh/app:latest-world");
    expect(config.role("web")!.containerPrefix).toBe("app-web-world");
    expect(config.role("web")!.containerName()).toBe("app-web-world-123");
    expect(config.appDirectory).toBe(".kamal/apps/app-world");
    expect(config.role("web")!.envFile).toBe(".kamal/apps/app-world/env/roles/web.env");
    expect(config.role("web")!.labels).toEqual({ service: "app", role: "web", destination: "world" });
    expect(config.role("web")!.env("1.1.1.1").clear).toEqual({ REDIS_URL: "redis://x/y" });
  });

  test("local registry: image name kept, no credentials needed", () => {
    const config = load("deploy_with_local_registry.yml");
    expect(config.registry.local).toBe(true);
    expect(config.registry.localPort).toBe(5000);
    expect(config.latestImage).toBe("localhost:5000/dhh/app:latest");
  });

  test("extensions: x- anchors are merged and dropped", () => {
    const config = load("deploy_with_extensions.yml");
    expect(config.raw["x-web"]).toBeUndefined();
    expect(config.role("web_chicago")!.runningProxy).toBe(true);
    expect(config.primaryHost).toBe("1.1.1.3");
  });

  test("ERB fixtures render", () => {
    expect(load("deploy.erb.yml").registry.username).toEqual({ literal: "my-user" });
    expect(load("deploy_with_remote_builder.yml").builder.arches).toEqual(["arm64"]);
    const onArm = loadConfig({ configFile: "deploy_with_remote_builder.yml", version: "1", cwd: fixturePath("kamal-fixtures", ""), env: {}, dockerArch: "arm64" });
    expect(onArm.builder.arches).toEqual(["amd64"]);
  });
});
