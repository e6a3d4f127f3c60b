import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import { parseDotenv } from "../../../src/config/dotenv.ts";
import { type ConfigError, redact, Secret, Secrets } from "../../../src/config/index.ts";
import { BASE, load, project, removeProject } from "./helpers.ts";

const noCommands = (command: string): string => {
  throw new Error(`unexpected command ${command}`);
};
const dotenv = (text: string, env: Record<string, string> = {}, runCommand = noCommands) => parseDotenv(text, { file: ".kamal/secrets", env, runCommand });

describe("dotenv syntax", () => {
  test("plain, exported, quoted and commented values", () => {
    expect(dotenv(`# comment\nA=1\nexport B=two words  # trailing comment\nC='single $A \\n'\nD="double $A\\nline"\nE=\nF = spaced\n`)).toEqual({
      A: "1",
      B: "two words",
      C: "single $A \\n",
      D: "double 1\nline",
      E: "",
      F: "spaced",
    });
  });
  test("multi-line quoted values", () => {
    expect(dotenv('KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n')).toEqual({ KEY: "-----BEGIN-----\nabc\n-----END-----", NEXT: "1" });
  });
  test("interpolation: earlier keys win over the environment; \\$ is literal", () => {
    expect(dotenv("A=file\nB=$A-${A}\nC=${HOME}\nD=\\$A\nE=$MISSING.\n", { A: "env", HOME: "/home/me" })).toEqual({
      A: "file",
      B: "file-file",
      C: "/home/me",
      D: "$A",
      E: ".",
    });
  });
  test("$(command) runs after interpolation; nested parens; \\$( is literal", () => {
    const commands: string[] = [];
    const run = (c: string) => {
      commands.push(c);
      return `out:${c}\n`;
    };
    expect(dotenv("V=1\nA=$(echo $V)\nB=x$(echo (a) b)y\nC=\\$(nope)\nD='$(not run)'\n", {}, run)).toEqual({
      V: "1",
      A: "out:echo 1",
      B: "xout:echo (a) by",
      C: "$(nope)",
      D: "$(not run)",
    });
    expect(commands).toEqual(["echo 1", "echo (a) b"]);
  });
  test("malformed lines name the line", () => {
    expect(() => dotenv("A=1\nthis is wrong\n")).toThrow("line 2");
    expect(() => dotenv('A="unterminated\n')).toThrow("unterminated");
  });
});

describe("secrets files", () => {
  test("precedence: -common, then secrets (no destination) or secrets.<dest>", () => {
    const dir = project({ ".kamal/secrets-common": "A=common\nB=common\n", ".kamal/secrets": "B=main\n", ".kamal/secrets.staging": "B=staging\nC=$B!\n" });
    try {
      const plain = new Secrets({ cwd: dir, env: {} });
      expect(plain.get("A").reveal()).toBe("common");
      expect(plain.get("B").reveal()).toBe("main");
      const staging = new Secrets({ cwd: dir, env: {}, destination: "staging" });
      expect(staging.get("B").reveal()).toBe("staging");
      expect(staging.get("C").reveal()).toBe("staging!");
      expect(staging.files).toEqual([".kamal/secrets-common", ".kamal/secrets.staging"]);
    } finally {
      removeProject(dir);
    }
  });
  test("a missing secret names the key and the files", () => {
    const dir = project({ ".kamal/secrets": "A=1\n" });
    try {
      const secrets = new Secrets({ cwd: dir, env: {} });
      expect(() => secrets.get("NOPE")).toThrow("Secret 'NOPE' not found in .kamal/secrets");
      try {
        secrets.get("NOPE");
      } catch (e) {
        expect((e as ConfigError).hint).toContain("add NOPE=... to .kamal/secrets");
      }
      expect(() => new Secrets({ cwd: dir, env: {}, destination: "prod" }).get("A")).toThrow("Secret 'A' not found, no secret files (.kamal/secrets-common, .kamal/secrets.prod) provided");
    } finally {
      removeProject(dir);
    }
  });
  test("loaded lazily: commands run only when a secret is needed, once", () => {
    let runs = 0;
    const dir = project({ ".kamal/secrets": "TOKEN=$(fetch-token)\n" });
    try {
      const secrets = new Secrets({ cwd: dir, env: {}, runCommand: () => `t${++runs}` });
      expect(runs).toBe(0);
      expect(secrets.get("TOKEN").reveal()).toBe("t1");
      expect(secrets.get("TOKEN").reveal()).toBe("t1");
      expect(runs).toBe(1);
    } finally {
      removeProject(dir);
    }
  });
  test("real commands run through the local shell; failures are config errors", () => {
    const dir = project({ ".kamal/secrets": "A=$(printf 'hi %s' there)\n", ".kamal/secrets.bad": "B=$(exit 3)\n" });
    try {
      expect(new Secrets({ cwd: dir, env: { PATH: process.env.PATH } }).get("A").reveal()).toBe("hi there");
      expect(() => new Secrets({ cwd: dir, env: { PATH: process.env.PATH }, destination: "bad" }).get("B")).toThrow(".kamal/secrets.bad:1:1: line 1: the `$(…)` command in the value of B exited with status 3");
    } finally {
      removeProject(dir);
    }
  });
  test("a failing command's error names the file, line and key, never the command (it may hold secrets)", () => {
    const dir = project({ ".kamal/secrets": "TOKEN=s3cr3t-token\nDB=$(TOKEN=$TOKEN sh -c 'exit 4' s3cr3t-arg)\n" });
    try {
      let message = "";
      try {
        new Secrets({ cwd: dir, env: { PATH: process.env.PATH } }).get("DB");
      } catch (e) {
        message = (e as Error).message + String((e as { hint?: string }).hint);
      }
      expect(message).toContain(".kamal/secrets:2:1: line 2: the `$(…)` command in the value of DB exited with status 4");
      expect(message).not.toContain("s3cr3t");
      expect(message).not.toContain("sh -c");
    } finally {
      removeProject(dir);
    }
  });
  test("a secrets path that is a directory is a clear error, not a crash", () => {
    const dir = project({ ".kamal/secrets-common/x": "A=1\n", ".kamal/secrets": "B=2\n" });
    try {
      expect(() => new Secrets({ cwd: dir, env: {} }).get("B")).toThrow(".kamal/secrets-common is a directory, not a file");
    } finally {
      removeProject(dir);
    }
  });
  test("secrets_path moves the files", () => {
    const config = load(`${BASE}secrets_path: config/secrets\nenv:\n  secret: [DB]\n`, { files: { "config/secrets": "DB=pw\n" } });
    expect(config.secrets.files).toEqual(["config/secrets-common", "config/secrets"]);
  });
});

describe("secret values are redacted in output", () => {
  const secret = new Secret("DB", "hunter2");
  test("string, template, JSON and inspect forms", () => {
    expect(String(secret)).toBe("[REDACTED]");
    expect(`${secret}`).toBe("[REDACTED]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[REDACTED]"}');
    expect(inspect(secret)).toBe("[REDACTED]");
    expect(secret.reveal()).toBe("hunter2");
  });
  test("redact() scrubs values from text", () => {
    expect(redact("login -p hunter2 ok", [secret])).toBe("login -p [REDACTED] ok");
  });
  test("role env: clear values, secret values by container name (ENV:SECRET aliasing), env file", () => {
    const dir = project({
      "config/deploy.yml": `${BASE}env:\n  clear:\n    A: 1\n  secret:\n    - DB_PASSWORD:MAIN_DB\n    - TOKEN\n`,
      ".kamal/secrets": 'MAIN_DB="pa\\"ss\nword"\nTOKEN=tök\n',
    });
    try {
      const { loadConfig } = require("../../../src/config/index.ts") as typeof import("../../../src/config/index.ts");
      const config = loadConfig({ cwd: dir, env: {}, version: "1" });
      const env = config.role("web")!.env("1.1.1.1");
      expect(env.clear).toEqual({ A: "1" });
      expect(env.secretEntries).toEqual([
        { name: "DB_PASSWORD", secret: "MAIN_DB" },
        { name: "TOKEN", secret: "TOKEN" },
      ]);
      expect(String(env.secretValues().DB_PASSWORD)).toBe("[REDACTED]");
      expect(env.envFileContent()).toBe('DB_PASSWORD=pa"ss\\nword\nTOKEN=tök\n');
      expect(JSON.stringify(env.secretValues())).not.toContain("word");
    } finally {
      removeProject(dir);
    }
  });
});

describe("printing the config never leaks", () => {
  test("JSON and inspect of the whole config show neither secrets nor the environment", () => {
    const dir = project({ "config/deploy.yml": `${BASE}env:\n  secret: [DB]\n`, ".kamal/secrets": "DB=hunter2\n" });
    try {
      const { loadConfig } = require("../../../src/config/index.ts") as typeof import("../../../src/config/index.ts");
      const config = loadConfig({ cwd: dir, env: { AWS_SECRET: "leaky" }, version: "1" });
      config.role("web")!.env("1.1.1.1").secretValues();
      const text = JSON.stringify(config) + inspect(config, { depth: 10 }) + inspect(config.secrets, { depth: 10 });
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("leaky");
    } finally {
      removeProject(dir);
    }
  });
});
