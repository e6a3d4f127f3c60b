/**
 * The built executable stands alone: it runs with no Node, no Bun and no node_modules around it,
 * speaks kamal-proxy's command line under that name, and the CLI also runs from source under Deno.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEXTANT_VERSION } from "../../src/version.ts";
import { repoRoot, run, sextantBinary } from "../support/testbed.ts";

const lonely = mkdtempSync(join(tmpdir(), "sextant-bin-"));
afterAll(() => rmSync(lonely, { recursive: true, force: true }));
// A directory with nothing but the binary, and an environment whose PATH has no node or bun.
copyFileSync(sextantBinary(), join(lonely, "sextant"));
symlinkSync("sextant", join(lonely, "kamal-proxy"));
const bareEnv = { PATH: lonely, HOME: lonely };

function runBare(argv: string[]) {
  return run(["/usr/bin/env", "-i", ...Object.entries(bareEnv).map(([k, v]) => `${k}=${v}`), ...argv], { cwd: lonely });
}

describe("the sextant binary", () => {
  test("version prints sextant's own version", async () => {
    const result = await runBare([join(lonely, "sextant"), "version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${SEXTANT_VERSION}\n` });
  });

  test("--help lists commands and Kamal's global options", async () => {
    const result = await runBare([join(lonely, "sextant"), "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("version");
    expect(result.stdout).toContain("-d, --destination NAME");
    expect(result.stdout).toContain("-h, --hosts HOSTS");
  });

  test("an unknown command is one line, a suggestion and exit code 1, without a stack trace", async () => {
    const result = await runBare([join(lonely, "sextant"), "verison"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Unknown command "verison"');
    expect(result.stderr).toContain('Did you mean "version"?');
    expect(result.stderr).not.toContain("    at ");
  });

  test("bad input is a short error with the fix, never a crash: a secrets directory, a --lines that is not a number", async () => {
    const project = mkdtempSync(join(tmpdir(), "sextant-bad-input-"));
    try {
      mkdirSync(join(project, "config"));
      mkdirSync(join(project, ".kamal/secrets"), { recursive: true });
      writeFileSync(
        join(project, "config/deploy.yml"),
        "service: app\nimage: app\nservers:\n  - 10.0.0.1\nregistry:\n  username: u\n  password:\n    - REGISTRY_PASSWORD\nbuilder:\n  arch: amd64\naccessories:\n  db:\n    image: mysql:8\n    host: 10.0.0.1\n",
      );
      const secrets = await run([sextantBinary(), "secrets", "print"], { cwd: project });
      expect(secrets.code).toBe(1);
      expect(secrets.stderr).toContain(".kamal/secrets is a directory, not a file");
      expect(secrets.stderr).not.toContain("This looks like a bug");
      const lines = await run([sextantBinary(), "accessory", "logs", "db", "--version", "1", "--lines", "5; reboot"], { cwd: project });
      expect(lines.code).toBe(1);
      expect(lines.stderr).toContain('--lines takes a number (got "5; reboot")');
      expect(lines.stderr).not.toContain("This looks like a bug");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  test("started as kamal-proxy it speaks kamal-proxy's command line", async () => {
    const viaLink = await runBare([join(lonely, "kamal-proxy"), "--help"]);
    const viaSubcommand = await runBare([join(lonely, "sextant"), "proxy-server", "--help"]);
    expect(viaLink.code).toBe(0);
    for (const name of ["run", "deploy", "remove", "list", "pause", "resume", "stop", "rollout"]) {
      expect(viaLink.stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    }
    const commandLines = (text: string) => text.split("\n").filter((l) => /^ {2}[a-z]+ {2,}/.test(l));
    expect(commandLines(viaSubcommand.stdout)).toEqual(commandLines(viaLink.stdout));
    expect(viaSubcommand.stdout).toContain("sextant proxy-server [command]");
  });
});

describe("the CLI under Deno", () => {
  const deno = join(repoRoot, "node_modules/.bin/deno");
  test("deno run -A src/main.ts version", async () => {
    const result = await run([deno, "run", "-A", "src/main.ts", "version"], { cwd: repoRoot, timeoutMs: 120_000 });
    expect(result.stderr).not.toContain("error:");
    expect(result).toMatchObject({ code: 0, stdout: `${SEXTANT_VERSION}\n` });
  }, 120_000);

  test("deno run -A src/main.ts --help", async () => {
    const result = await run([deno, "run", "-A", "src/main.ts", "--help"], { cwd: repoRoot, timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("GLOBAL OPTIONS");
  }, 120_000);
});
