/**
 * Kamal's documented configuration (one file per section) is its schema: every example in it
 * must pass sextant's schema. The docs repeat keys to show alternatives (`ssl: true`, then
 * `ssl: {certificate_pem: ...}`), so each repetition is checked as its own example.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Node, parseDocument } from "yaml";
import { SextantConfig } from "../../../src/config/model.ts";
import { schemaProblems } from "../../../src/config/validate.ts";
import { PositionIndex, resolvePlain } from "../../../src/config/yaml.ts";
import { FIXTURES } from "./helpers.ts";

const docsDir = join(FIXTURES, "kamal-config-docs");

/** All variants of a node: for repeated keys, one variant per occurrence (one key at a time). */
function variants(node: unknown): unknown[] {
  if (node === null || node === undefined) return [null];
  if (isScalar(node)) {
    const raw = String(node.value ?? "");
    if (raw === "...") return [{}]; // "..." = a hash documented in its own section
    return [node.type === "PLAIN" ? resolvePlain(raw) : raw];
  }
  if (isSeq(node)) return [node.items.map((item) => variants(item)[0])];
  if (isMap(node)) {
    const groups = new Map<string, unknown[]>();
    for (const pair of node.items) {
      const key = String((pair.key as { value?: unknown }).value);
      const list = groups.get(key) ?? [];
      list.push(...variants(pair.value));
      groups.set(key, list);
    }
    const base = Object.fromEntries([...groups].map(([k, vs]) => [k, vs[0]]));
    const out: unknown[] = [base];
    for (const [k, vs] of groups) for (const alt of vs.slice(1)) out.push({ ...base, [k]: alt });
    return out;
  }
  return [null];
}

function examples(file: string): { name: string; fragment: Record<string, unknown> }[] {
  const doc = parseDocument(readFileSync(join(docsDir, file), "utf8"), { schema: "failsafe", uniqueKeys: false });
  const root = doc.contents as Node;
  if (!isMap(root)) throw new Error(`${file}: not a mapping`);
  const out: { name: string; fragment: Record<string, unknown> }[] = [];
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown }).value);
    for (const [i, value] of variants(pair.value).entries()) out.push({ name: `${key} #${out.length + 1}${i > 0 ? ` (variant ${i})` : ""}`, fragment: { [key]: value } });
  }
  return out;
}

const files = readdirSync(docsDir)
  .filter((f) => f.endsWith(".yml"))
  .sort();

describe("every documented Kamal example passes the schema", () => {
  test("all 14 sections are present", () => {
    expect(files.length).toBe(14);
  });
  for (const file of files) {
    const list = examples(file);
    test(`${file}: ${list.length} examples`, () => {
      expect(list.length).toBeGreaterThan(0);
      for (const { name, fragment } of list) {
        const problems = schemaProblems(fragment, new PositionIndex());
        expect({ name, problems }).toEqual({ name, problems: [] });
        // The model can be derived from each example without crashing.
        const raw = { service: "app", image: "app", builder: { arch: "amd64" }, registry: { server: "localhost:5000" }, servers: ["1.1.1.1"], ...fragment };
        expect(() => new SextantConfig(raw, { cwd: "/tmp", env: {}, configFile: "deploy.yml", files: ["deploy.yml"], declaredVersion: "1" })).not.toThrow();
      }
    });
  }

  test("the root example covers every root key sextant accepts", async () => {
    const { ROOT_KEYS } = await import("../../../src/config/schema/root.ts");
    const documented = new Set(examples("configuration.yml").flatMap((e) => Object.keys(e.fragment)));
    expect([...documented].sort()).toEqual([...ROOT_KEYS].sort());
  });
});
