/**
 * The completion scripts, run in the real shells: bash and zsh call the completion function with
 * the words typed so far; fish answers `complete -C`. The tree is sextant's own command tree.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bashCompletion, type CompletionNode, fishCompletion, zshCompletion } from "../../../src/cli/completion/scripts.ts";
import { completionTree, globalFlags } from "../../../src/cli/completion/tree.ts";
import { jsonLines, lockJson } from "../../../src/cli/json-lines.ts";
import { rootCommand } from "../../../src/cli/root.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-completion-"));
let tree: CompletionNode;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  tree = await completionTree(rootCommand);
  writeFileSync(join(dir, "c.bash"), bashCompletion(tree, globalFlags));
  writeFileSync(join(dir, "c.zsh"), zshCompletion(tree, globalFlags));
  writeFileSync(join(dir, "c.fish"), fishCompletion(tree, globalFlags));
});

function bash(words: string[]): string[] {
  const script = `source ${join(dir, "c.bash")}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _sextant; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["--norc", "-c", script], { encoding: "utf8" }).split("\n").filter(Boolean);
}

describe("completion tree", () => {
  test("has the commands, their sub-commands and their options", () => {
    const app = tree.subcommands.find((c) => c.name === "app")!;
    expect(tree.subcommands.map((c) => c.name)).toContain("completion");
    expect(app.subcommands.map((c) => c.name)).toContain("containers");
    expect(app.subcommands.find((c) => c.name === "containers")!.flags.map((f) => f.long)).toEqual(["json"]);
  });
});

describe("bash", () => {
  test("commands, sub-commands and options complete by what is typed", () => {
    expect(bash(["sextant", "dep"])).toEqual(["deploy"]);
    expect(bash(["sextant", "app", "co"])).toEqual(["containers"]);
    expect(bash(["sextant", "lock", "status", "--j"])).toEqual(["--json"]);
    // Global options after any command, and their values skipped when finding the command.
    expect(bash(["sextant", "-d", "staging", "app", "ima"])).toEqual(["images"]);
    expect(bash(["sextant", "deploy", "--dest"])).toEqual(["--destination"]);
    // An option that takes a value completes nothing of sextant's.
    expect(bash(["sextant", "--hosts", ""])).toEqual([]);
  });
});

describe("zsh", () => {
  test("the script loads and completes through bashcompinit", () => {
    const script = `source ${join(dir, "c.zsh")}; setopt ksharrays; COMP_WORDS=(sextant app ''); COMP_CWORD=2; _sextant; print -l -- "\${COMPREPLY[@]}"`;
    const out = execFileSync("zsh", ["-f", "-c", script], { encoding: "utf8", env: { ...process.env, HOME: dir } }).split("\n");
    expect(out).toContain("containers");
    expect(out).toContain("maintenance");
  }, 30_000);
});

describe("fish", () => {
  test("complete -C answers with descriptions", () => {
    const run = (line: string) =>
      execFileSync("fish", ["--no-config", "-c", `source ${join(dir, "c.fish")}; complete -C '${line}'`], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean);
    expect(run("sextant app co")).toEqual([expect.stringMatching(/^containers\tList all the app's containers/)]);
    expect(run("sextant lock status --j")[0]).toMatch(/^--json\t/);
    expect(run("sextant --dest")[0]).toMatch(/^--destination\t/);
  }, 30_000);
});

describe("--json of the listing commands", () => {
  test("one object per line, with where it was found; non-JSON lines kept as text", () => {
    const out = jsonLines([{ host: "10.0.0.1", role: "web", text: '{"ID":"abc","State":"running"}\nnot json\n' }], { kind: "app" });
    expect(
      out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { kind: "app", host: "10.0.0.1", role: "web", ID: "abc", State: "running" },
      { kind: "app", host: "10.0.0.1", role: "web", text: "not json" },
    ]);
  });
  test("the lock, held or not", () => {
    expect(JSON.parse(lockJson(undefined))).toEqual({ locked: false });
    const held = JSON.parse(lockJson("Locked by: Ann at 2026-12-04T18:00:00Z\nVersion: abc\nMessage: hotfix\nin progress"));
    expect(held).toMatchObject({ locked: true, lockedBy: "Ann", at: "2026-12-04T18:00:00Z", version: "abc", message: "hotfix\nin progress" });
  });
});
