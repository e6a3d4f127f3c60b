/**
 * Random mutations of valid configs (values, keys, structure, raw text) must give either a valid
 * configuration or a ConfigError whose problems all name a place: never a crash.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ConfigError, kamalConfigHash, loadConfig } from "../../../src/config/index.ts";
import { parseYaml } from "../../../src/config/yaml.ts";
import { FIXTURES, project, removeProject } from "./helpers.ts";

function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtureDir = join(FIXTURES, "kamal-fixtures");
const valid = readdirSync(fixtureDir).filter((f) => /^deploy.*\.yml$/.test(f) && !/\.(world|mars|elsewhere)\.yml$/.test(f) && !/for_(required_)?dest|conflicts/.test(f));
const texts = valid.map((f) => readFileSync(join(fixtureDir, f), "utf8").replaceAll('<%= Kamal::Utils.docker_arch == "arm64" ? "amd64" : "arm64" %>', "amd64"));
const VALUES: unknown[] = ["lots", 42, -1, 0, 3.5, true, false, null, [], {}, ["x"], [1, 2], { a: 1 }, { "1.1.1.9": "tag" }, "25%", "1.1.1.1", "", "x-foo", "localhost:5000", "ssh://a@b", ":verbose", "web"];

const dir = project({});
afterAll(() => removeProject(dir));

type Json = Record<string, unknown> | unknown[];

function containers(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) {
    out.push(value);
    for (const v of value) containers(v, out);
  } else if (value && typeof value === "object") {
    out.push(value as Record<string, unknown>);
    for (const v of Object.values(value)) containers(v, out);
  }
  return out;
}

function mutate(data: Record<string, unknown>, random: () => number): void {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const value = () => structuredClone(pick(VALUES));
  const target = pick(containers(data));
  const keys: (string | number)[] = Array.isArray(target) ? target.map((_, i) => i) : Object.keys(target);
  const op = Math.floor(random() * 6);
  if (keys.length === 0 || op === 0) {
    // Add an entry.
    if (Array.isArray(target)) target.push(value());
    else target[pick(["foo", "hosts", "x-ext", "proxy", "env", "secret", "clear", "tags", "image", "arch", "limit", "ssl", "host"])] = value();
    return;
  }
  const key = pick(keys);
  const record = target as Record<string | number, unknown>;
  switch (op) {
    case 1: // delete
      if (Array.isArray(target)) target.splice(key as number, 1);
      else delete record[key];
      return;
    case 2: // replace with a random value
      record[key] = value();
      return;
    case 3: {
      // misspell a key
      if (Array.isArray(target)) return;
      const name = String(key);
      const value = record[key];
      delete record[key];
      record[name.length > 2 ? name.slice(0, -2) + name.slice(-1) + name.slice(-2, -1) : `${name}x`] = value;
      return;
    }
    case 4: // wrap in a list
      record[key] = [record[key]];
      return;
    default: {
      // swap with a value from elsewhere
      const other = pick(containers(data));
      const otherKeys: (string | number)[] = Array.isArray(other) ? other.map((_, i) => i) : Object.keys(other);
      if (otherKeys.length > 0) record[key] = structuredClone((other as Record<string | number, unknown>)[pick(otherKeys)]);
    }
  }
}

function mutateText(text: string, random: () => number): string {
  const lines = text.split("\n");
  const i = Math.floor(random() * lines.length);
  const line = lines[i] ?? "";
  switch (Math.floor(random() * 6)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines[i] = ` ${line}`;
      break;
    case 2:
      lines[i] = line.replace(/:/, "");
      break;
    case 3:
      lines.splice(i, 0, line);
      break;
    case 4:
      lines[i] = `${line} <%= ${["ENV['X']", "`id`", "1+1", 'ENV.fetch("Y", "z")'][Math.floor(random() * 4)]} %>`;
      break;
    default: {
      const p = Math.floor(random() * line.length);
      lines[i] = line.slice(0, p) + ["[", "{", '"', "'", "&a", "*a", "\t", "- ", "#"][Math.floor(random() * 9)] + line.slice(p);
    }
  }
  return lines.join("\n");
}

function check(text: string): "ok" | "error" {
  writeFileSync(join(dir, "deploy.yml"), text);
  try {
    const config = loadConfig({ configFile: "deploy.yml", cwd: dir, version: "123", env: {} });
    // Everything commands read must be computable.
    kamalConfigHash(config);
    for (const role of config.roles) {
      for (const host of role.hosts) role.env(host).clear;
      role.containerName();
      role.proxy?.run?.image;
    }
    for (const accessory of config.accessories) void accessory.volumes;
    config.builder.kind("amd64");
    config.builder.name("amd64");
    return "ok";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`not a ConfigError for:\n${text}\n${(error as Error).stack}`);
    for (const problem of error.problems) {
      expect(problem.message.length).toBeGreaterThan(0);
      expect(problem.at?.file).toBe("deploy.yml");
      expect(problem.at!.line).toBeGreaterThan(0);
      expect(error.message).not.toContain("\u0000");
    }
    return "error";
  }
}

describe("property: mutated configs give a config or a clean config error", () => {
  test("structural mutations (400 runs)", () => {
    const random = prng(20261122);
    const seen = { ok: 0, error: 0 };
    for (let run = 0; run < 400; run++) {
      const index = Math.floor(random() * texts.length);
      const data = structuredClone(parseYaml(texts[index]!, { file: "x" }).value) as Record<string, unknown>;
      const count = 1 + Math.floor(random() * 3);
      for (let m = 0; m < count; m++) mutate(data, random);
      seen[check(stringify(data))]++;
    }
    // Both outcomes happen, so the mutations are neither all harmless nor all fatal.
    expect(seen.ok).toBeGreaterThan(20);
    expect(seen.error).toBeGreaterThan(100);
  });
  test("text mutations (300 runs)", () => {
    const random = prng(7);
    const seen = { ok: 0, error: 0 };
    for (let run = 0; run < 300; run++) {
      let text = texts[Math.floor(random() * texts.length)]!;
      const count = 1 + Math.floor(random() * 3);
      for (let m = 0; m < count; m++) text = mutateText(text, random);
      seen[check(text)]++;
    }
    expect(seen.ok).toBeGreaterThan(10);
    expect(seen.error).toBeGreaterThan(50);
  });
});
