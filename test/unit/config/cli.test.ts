/** `sextant config` and `sextant init`, run as a user would. */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { BASE, FIXTURES, project, readYaml, removeProject } from "./helpers.ts";

const main = join(import.meta.dir, "../../../src/main.ts");

function sextant(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [main, ...args], { cwd, encoding: "utf8", env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("sextant config", () => {
  const fixtures = join(FIXTURES, "kamal-fixtures");
  test("--json prints Kamal's summary", () => {
    const { code, stdout } = sextant(["config", "-c", "deploy_with_roles.yml", "--version", "123", "--json"], fixtures);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(readYaml(join(FIXTURES, "kamal-config-output/deploy_with_roles.yml")) as object);
  });
  test("YAML by default; -d reads the destination file", () => {
    const { code, stdout } = sextant(["-d", "world", "config", "-c", "deploy_for_dest.yml", "--version", "123"], fixtures);
    expect(code).toBe(0);
    expect(parse(stdout)).toEqual(readYaml(join(FIXTURES, "kamal-config-output/deploy_for_dest.world.yml")) as object);
  });
  test("problems are printed with file, line and hint, without a stack trace", () => {
    const dir = project({ "config/deploy.yml": `${BASE}retain_containers: lots\nproxy:\n  hots: a\n` });
    try {
      const { code, stdout, stderr } = sextant(["config", "--version", "1"], dir);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toContain("ERROR 2 problems in the configuration:");
      expect(stderr).toContain('config/deploy.yml:10:1: retain_containers: should be an integer, got "lots"');
      expect(stderr).toContain("config/deploy.yml:12:3: proxy/hots: unknown key\n    hint: did you mean `hosts`?");
      expect(stderr).not.toContain("    at ");
      expect(stderr).not.toContain("bug in sextant");
    } finally {
      removeProject(dir);
    }
  });
  test("secrets are neither printed nor loaded", () => {
    const dir = project({
      "config/deploy.yml": `${BASE.replace("password: pw", "password: [REGISTRY_PASSWORD]")}env:\n  secret: [DB_PASSWORD]\nssh:\n  key_data: [SSH_KEY]\n`,
      ".kamal/secrets": "DB_PASSWORD=hunter2\nREGISTRY_PASSWORD=$(exit 1)\nSSH_KEY=private\n",
    });
    try {
      const { code, stdout } = sextant(["config", "--version", "1", "--json"], dir);
      expect(code).toBe(0);
      expect(stdout).not.toContain("hunter2");
      expect(stdout).not.toContain("private");
      expect(JSON.parse(stdout).ssh_options.key_data).toEqual(["[REDACTED]"]);
    } finally {
      removeProject(dir);
    }
  });
  test("the version comes from VERSION when --version is not given", () => {
    const { stdout } = sextant(["config", "-c", "deploy_simple.yml", "--json"], fixtures, { VERSION: "v9" });
    expect(JSON.parse(stdout).absolute_image).toBe("dhh/app:v9");
  });
});

describe("sextant init", () => {
  test("writes a config that loads, secrets and sample hooks; refuses to overwrite", () => {
    const dir = project({});
    try {
      const first = sextant(["init"], dir);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("Created config/deploy.yml");
      expect(readFileSync(join(dir, "config/deploy.yml"), "utf8")).toContain("service: my-app");
      expect(existsSync(join(dir, ".kamal/secrets"))).toBe(true);
      for (const hook of ["pre-connect", "pre-build", "pre-deploy", "post-deploy", "pre-app-boot", "post-app-boot", "pre-proxy-reboot", "post-proxy-reboot", "docker-setup"]) {
        const file = join(dir, `.kamal/hooks/${hook}.sample`);
        expect(readFileSync(file, "utf8")).toStartWith("#!/usr/bin/env sh\n");
        expect(statSync(file).mode & 0o111).not.toBe(0);
      }
      const config = sextant(["config", "--version", "1", "--json"], dir);
      expect(config.code).toBe(0);
      expect(JSON.parse(config.stdout).hosts).toEqual(["192.168.0.1"]);
      const again = sextant(["init"], dir);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("Config file already exists in config/deploy.yml (remove first to create a new one)");
    } finally {
      removeProject(dir);
    }
  });
  test("keeps existing secrets and hooks", () => {
    const dir = project({ ".kamal/secrets": "MINE=1\n" });
    try {
      const { stdout } = sextant(["init"], dir);
      expect(stdout).toContain("Kept existing .kamal/secrets");
      expect(readFileSync(join(dir, ".kamal/secrets"), "utf8")).toBe("MINE=1\n");
    } finally {
      removeProject(dir);
    }
  });
});
