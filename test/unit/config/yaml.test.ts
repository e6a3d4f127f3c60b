import { describe, expect, test } from "bun:test";
import { parseYaml, resolvePlain } from "../../../src/config/yaml.ts";

const parse = (text: string) => parseYaml(text, { file: "f.yml" });

describe("scalars as Ruby's Psych reads them", () => {
  const cases: [string, unknown][] = [
    ["yes", true],
    ["On", true],
    ["TRUE", true],
    ["no", false],
    ["off", false],
    ["y", "y"],
    ["~", null],
    ["null", null],
    ["", null],
    ["42", 42],
    ["-7", -7],
    ["40_000_000", 40000000],
    ["0755", 493],
    ["0x1F", 31],
    ["0b101", 5],
    ["1:30", 90],
    ["1.5", 1.5],
    [".5", 0.5],
    ["1.0e+3", 1000],
    [".inf", Infinity],
    [":verbose", "verbose"],
    [":fatal", "fatal"],
    ["3306:3306", "3306:3306"],
    ["1.1.1.1", "1.1.1.1"],
    ["2024-01-01", "2024-01-01"],
    ["v1.2", "v1.2"],
    ["10m", "10m"],
    ["25%", "25%"],
  ];
  for (const [raw, expected] of cases) test(JSON.stringify(raw), () => expect(resolvePlain(raw)).toEqual(expected));
  test("quoted scalars stay strings", () => {
    expect(parse("a: \"yes\"\nb: '42'\nc: !!str 7\n").value).toEqual({ a: "yes", b: "42", c: "7" });
  });
});

describe("structure", () => {
  test("anchors, aliases and merge keys (explicit keys win)", () => {
    const { value, problems } = parse("base: &b\n  a: 1\n  b: 2\nx:\n  <<: *b\n  b: 3\ny:\n  <<: [*b, {c: 4}]\n");
    expect(problems).toEqual([]);
    expect(value).toEqual({ base: { a: 1, b: 2 }, x: { b: 3, a: 1 }, y: { a: 1, b: 2, c: 4 } });
  });
  test("__proto__ is an ordinary key", () => {
    const { value } = parse("__proto__:\n  polluted: true\n");
    expect(Object.keys(value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  test("positions of keys and values", () => {
    const { positions } = parse("a:\n  b:\n    - x\n    - y: z\n");
    expect(positions.get(["a", "b"])?.key).toEqual({ file: "f.yml", line: 2, col: 3 });
    expect(positions.get(["a", "b", 1])?.value).toEqual({ file: "f.yml", line: 4, col: 7 });
    expect(positions.nearest(["a", "b", 1, "y", "nope"])).toEqual({ file: "f.yml", line: 4, col: 7 });
  });
  test("duplicate keys are reported with both lines", () => {
    const { problems } = parse("a: 1\nb: 2\na: 3\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain("also at line 1");
    expect(problems[0]!.at?.line).toBe(3);
  });
  test("syntax errors carry line and column", () => {
    const { problems } = parse("a: [1, 2\nb: 3\n");
    expect(problems[0]!.message).toStartWith("YAML syntax error");
    expect(problems[0]!.at?.line).toBeGreaterThanOrEqual(1);
  });
  test("unknown tags are rejected", () => {
    expect(parse("a: !ruby/object:Foo {}\n").problems[0]?.message).toBe("unsupported YAML tag !ruby/object:Foo");
  });
  test("an unknown alias is an error, not a crash", () => {
    expect(parse("a: *nope\n").problems.length).toBeGreaterThan(0);
  });
});
