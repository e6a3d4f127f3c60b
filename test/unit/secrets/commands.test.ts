/**
 * fetch / extract / print as library functions and as `sextant secrets ...` run in a real process:
 * output formats (Kamal's shell-escaped JSON, KEY=value lines), the in-process
 * `$(kamal secrets ...)` of secrets files, and error messages that never show a value.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SextantError } from "../../../src/errors.ts";
import { extractSecret } from "../../../src/secrets/extract.ts";
import { formatFetchOutput } from "../../../src/secrets/fetch.ts";
import { parseFetchArgs, runInlineSecretsCommand, secretsFileRunCommand } from "../../../src/secrets/inline.ts";
import { printSecrets } from "../../../src/secrets/print.ts";
import { shellEscape, shellSplit } from "../../../src/secrets/shell-words.ts";
import { FakeClis } from "./fake-cli.ts";

const MAIN = join(import.meta.dir, "../../../src/main.ts");

const CONFIG = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
`;

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "sextant-secrets-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}
let clis: FakeClis | undefined;
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  clis?.remove();
  clis = undefined;
});

function sextant(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", ...options.env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function thrown(fn: () => unknown): SextantError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SextantError) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("shell words (Ruby's Shellwords)", () => {
  test.each([
    ["", "''"],
    ["abc-._,:+/@1", "abc-._,:+/@1"],
    ['{"A":"x y"}', '\\{\\"A\\":\\"x\\ y\\"\\}'],
    ["a\nb", "a'\n'b"],
    ["it's $HOME `x`", "it\\'s\\ \\$HOME\\ \\`x\\`"],
    ["é", "\\é"],
  ])("escape %j", (input, expected) => {
    expect(shellEscape(input)).toBe(expected);
    expect(shellSplit(shellEscape(input))).toEqual([input]);
  });

  test.each([
    ['app exec -i --reuse "bin/rails console"', ["app", "exec", "-i", "--reuse", "bin/rails console"]],
    ["  a  'b c'  d\\ e ", ["a", "b c", "d e"]],
    ["x\"y\"'z'", ["xyz"]],
    ['"a \\"q\\" \\$v \\n"', ['a "q" $v \\n']],
    ["", []],
  ])("split %j", (input, expected) => {
    expect(shellSplit(input)).toEqual(expected);
  });

  test("an unmatched quote is an error", () => {
    expect(() => shellSplit('a "b')).toThrow("Unmatched quote");
  });
});

describe("fetch output and extract", () => {
  test("fetch prints the JSON shell-escaped, like Kamal", () => {
    expect(formatFetchOutput({ foo: "oof", bar: "rab", baz: "zab" })).toBe('\\{\\"foo\\":\\"oof\\",\\"bar\\":\\"rab\\",\\"baz\\":\\"zab\\"\\}');
  });

  test.each([
    ["exact key", "foo", '{"foo":"oof","bar":"rab"}', "oof"],
    ["key ending in /NAME", "foo", '{"abc/foo":"oof","bar":"rab"}', "oof"],
    ["exact key wins over a suffix", "foo", '{"x/foo":"no","foo":"yes"}', "yes"],
    ["the first suffix match", "PW", '{"V/A/PW":"one","V/B/PW":"two"}', "one"],
    ["still shell-escaped", "A", '\\{\\"A\\":\\"x\\ y\\"\\}', "x y"],
    ["an empty value", "E", '{"E":""}', ""],
  ])("extract: %s", (_label, name, json, value) => {
    expect(extractSecret(name, json)).toBe(value);
  });

  test("extract: a missing name lists the keys, not the values", () => {
    const error = thrown(() => extractSecret("NOPE", '{"Vault/Item/A":"s3cr3t-a"}'));
    expect(error.message).toBe("Could not find secret NOPE");
    expect(error.hint).toBe("the fetched secrets are: Vault/Item/A");
    expect(`${error.message}${error.hint}`).not.toContain("s3cr3t");
  });

  test("extract: not JSON (the text is never shown)", () => {
    const error = thrown(() => extractSecret("A", "A=s3cr3t-a"));
    expect(error.message).toBe("The secrets given to `secrets extract` are not the JSON printed by `secrets fetch`");
    expect(`${error.message}${error.hint}`).not.toContain("s3cr3t");
    expect(thrown(() => extractSecret("A", '["s3cr3t"]')).message).toBe("The secrets given to `secrets extract` are not a JSON object");
  });
});

describe("$(kamal secrets ...) in a secrets file runs in-process", () => {
  test.each([
    [["-a", "op", "--account", "my", "A"], { adapter: "op", account: "my", from: undefined, secrets: ["A"] }],
    [["--adapter=1password", "--account=my", "--from=V/I", "--inline", "A", "B"], { adapter: "1password", account: "my", from: "V/I", secrets: ["A", "B"] }],
    [["-atest", "x"], { adapter: "test", account: undefined, from: undefined, secrets: ["x"] }],
  ])("fetch options %j", (words, parsed) => {
    expect(parseFetchArgs(words)).toEqual(parsed);
  });

  test("fetch options: errors", () => {
    expect(thrown(() => parseFetchArgs(["A"])).message).toBe("No value provided for required options '--adapter'");
    expect(thrown(() => parseFetchArgs(["-a", "test", "--bogus"])).message).toBe("Unknown option --bogus for `secrets fetch`");
    expect(thrown(() => parseFetchArgs(["-a"])).message).toBe("-a needs a value");
  });

  test("fetch then extract, as the secrets file template does", () => {
    const fetched = runInlineSecretsCommand("kamal secrets fetch --adapter test --account x --from V foo 'b r'")!;
    expect(fetched).toBe('\\{\\"V/foo\\":\\"oof/V\\",\\"V/b\\ r\\":\\"r\\ b/V\\"\\}');
    expect(runInlineSecretsCommand(`kamal secrets extract foo ${fetched}`)).toBe("oof/V");
    expect(runInlineSecretsCommand(`sextant secrets extract 'b r' ${fetched} -d staging`)).toBe("r b/V");
    expect(runInlineSecretsCommand("echo hi")).toBeUndefined();
  });

  test("secrets print resolves fetch/extract from a vendor CLI stand-in, and plain $(commands)", () => {
    clis = new FakeClis().add("lpass", [
      { argv: ["lpass", "--version"] },
      { argv: ["lpass", "status", "--color", "never"], stdout: "Logged in as me@example.com.\n" },
      {
        argv: ["lpass", "show", "Deploy/REGISTRY", "Deploy/DB", "--json"],
        stdout: [
          { fullname: "Deploy/REGISTRY", password: "s3cr3t-reg" },
          { fullname: "Deploy/DB", password: "pa ss'\"$x" },
        ],
      },
    ]);
    const dir = project({
      "config/deploy.yml": CONFIG,
      ".kamal/secrets-common": "COMMON=from-common\n",
      ".kamal/secrets": [
        "SECRETS=$(kamal secrets fetch --adapter lastpass --account me@example.com --from Deploy REGISTRY DB)",
        "KAMAL_REGISTRY_PASSWORD=$(kamal secrets extract REGISTRY ${SECRETS})",
        "DB_PASSWORD=$(kamal secrets extract DB ${SECRETS})",
        "GREETING=$(printf 'hello %s' there)",
        "",
      ].join("\n"),
    });
    const text = printSecrets({ cwd: dir, env: { PATH: process.env.PATH ?? "" }, version: "1", run: clis.runner() });
    expect(text).toBe(
      [
        "COMMON=from-common",
        `SECRETS=${'\\{\\"Deploy/REGISTRY\\":\\"s3cr3t-reg\\",\\"Deploy/DB\\":\\"pa\\ ss\\\'\\\\\\"\\$x\\"\\}'}`,
        "KAMAL_REGISTRY_PASSWORD=s3cr3t-reg",
        "DB_PASSWORD=pa ss'\"$x",
        "GREETING=hello there",
        "",
      ].join("\n"),
    );
  });

  test("errors inside a secrets file keep their hint and never show the command line", () => {
    const run = secretsFileRunCommand({ env: { PATH: process.env.PATH ?? "" } });
    const unknown = thrown(() => run("kamal secrets fetch -a nope A"));
    expect(unknown.message).toBe("Unknown secrets adapter: nope");
    expect(unknown.hint).toContain("1password");
    const missing = thrown(() => run(`kamal secrets extract NOPE '{"A":"s3cr3t-a"}'`));
    expect(missing.message).toBe("Could not find secret NOPE");
    const failing = thrown(() => run("exit 3 s3cr3t-in-argv"));
    expect(failing.message).toBe("exited with status 3");
    expect(`${failing.message}${failing.hint}`).not.toContain("s3cr3t");
    expect(thrown(() => run("kamal secrets print")).message).toBe("`secrets print` cannot be used inside a secrets file");
  });
});

describe("sextant secrets (the commands, in a process)", () => {
  test("fetch prints the escaped JSON; extract prints the value", () => {
    const fetched = sextant(["secrets", "fetch", "-a", "test", "--account", "x", "foo", "bar"]);
    expect(fetched).toEqual({ status: 0, stdout: '\\{\\"foo\\":\\"oof\\",\\"bar\\":\\"rab\\"\\}\n', stderr: "" });
    const extracted = sextant(["secrets", "extract", "bar", '{"foo":"oof","bar":"rab"}']);
    expect(extracted).toEqual({ status: 0, stdout: "rab\n", stderr: "" });
  });

  test("fetch with a vendor CLI stand-in on PATH", () => {
    clis = new FakeClis().add("bws", [{ argv: ["bws", "--version"] }, { argv: ["bws", "project", "list"], stdout: [] }, { argv: ["bws", "secret", "get", "id-1"], stdout: { key: "TOKEN", value: "s3cr3t-token" } }]);
    const result = sextant(["secrets", "fetch", "--adapter", "bitwarden-sm", "id-1"], { env: clis.env() });
    expect(result).toEqual({ status: 0, stdout: '\\{\\"TOKEN\\":\\"s3cr3t-token\\"\\}\n', stderr: "" });
  });

  test("what a sign-in command prints goes to stderr, never into fetch's output", () => {
    clis = new FakeClis().add("lpass", [
      { argv: ["lpass", "--version"] },
      { argv: ["lpass", "status", "--color", "never"], stdout: "Not logged in.\n", status: 1 },
      { argv: ["lpass", "login", "me@example.com"], stdout: "Success: Logged in as me@example.com.\n" },
      { argv: ["lpass", "show", "A", "--json"], stdout: [{ fullname: "A", password: "s3cr3t-a" }] },
    ]);
    const result = sextant(["secrets", "fetch", "-a", "lastpass", "--account", "me@example.com", "A"], { env: clis.env() });
    expect(result).toEqual({ status: 0, stdout: '\\{\\"A\\":\\"s3cr3t-a\\"\\}\n', stderr: "Success: Logged in as me@example.com.\n" });
  });

  test("print shows KEY=value for every secret, with the destination's file", () => {
    const dir = project({
      "config/deploy.yml": CONFIG,
      "config/deploy.staging.yml": "servers:\n  - 2.2.2.2\n",
      ".kamal/secrets": "SECRET1=ABC\nSECRET2=${SECRET1}DEF\n",
      ".kamal/secrets.staging": "SECRET1=staging\n",
    });
    expect(sextant(["secrets", "print", "--version", "1"], { cwd: dir })).toEqual({ status: 0, stdout: "SECRET1=ABC\nSECRET2=ABCDEF\n", stderr: "" });
    expect(sextant(["secrets", "print", "-d", "staging", "--version", "1"], { cwd: dir }).stdout).toBe("SECRET1=staging\n");
  });

  test.each([
    ["missing --adapter", ["secrets", "fetch", "A"], /ERROR Missing required argument: --adapter/],
    ["missing --account", ["secrets", "fetch", "-a", "1password", "A"], /ERROR No value provided for required options '--account'\nthe 1password adapter needs --account/],
    ["unknown adapter", ["secrets", "fetch", "-a", "keychain", "A"], /ERROR Unknown secrets adapter: keychain\nuse one of 1password, /],
    [
      "vendor CLI missing",
      ["secrets", "fetch", "-a", "lastpass", "--account", "me@example.com", "A"],
      /ERROR LastPass CLI is not installed \(`lpass` was not found on PATH or `lpass --version` failed\)\ninstall it \(https:\/\/github\.com\/lastpass\/lastpass-cli\), then sign in with `lpass login me@example\.com`/,
    ],
    ["extract: missing name", ["secrets", "extract", "B", '{"A":"s3cr3t-a"}'], /ERROR Could not find secret B\nthe fetched secrets are: A/],
    ["extract: missing JSON", ["secrets", "extract", "B"], /ERROR Missing required positional argument: SECRETS/],
    ["print: no config", ["secrets", "print"], /ERROR Configuration file not found in config\/deploy\.yml/],
    ["unknown subcommand", ["secrets", "fech"], /ERROR Unknown command "fech" for "sextant secrets"\nDid you mean "fetch"\?/],
  ])("error: %s", (_label, args, stderr) => {
    const result = sextant(args, { cwd: project({}), env: { PATH: "/nonexistent" } });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(stderr);
    expect(result.stderr).not.toContain("s3cr3t");
  });
});
