/**
 * install.sh against a release directory served over HTTP on the test bed's bridge: it installs a
 * working sextant into a fresh directory, and a wrong checksum aborts with nothing installed. Run
 * with dash (POSIX sh) and an environment holding nothing but a minimal PATH and HOME. And the
 * composite action's step (action.yml) with the variables a GitHub runner sets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { SEXTANT_VERSION } from "../../src/version.ts";
import { makeReleaseDir, serveDirectory } from "../support/release.ts";
import { repoRoot, run, sextantBinary, testbed } from "../support/testbed.ts";

const bed = testbed();
const bridge = bed.registry.split(":")[0]!;
const scratch = mkdtempSync(join(tmpdir(), "sextant-install-test-"));
let releaseDir: string;
let server: ReturnType<typeof serveDirectory>;

function install(args: string[], env: Record<string, string>) {
  const home = join(scratch, `home-${Math.random().toString(36).slice(2)}`);
  const vars = { PATH: "/usr/bin:/bin", HOME: home, ...env };
  return run(["/usr/bin/env", "-i", ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), "dash", join(repoRoot, "install.sh"), ...args]);
}

beforeAll(async () => {
  releaseDir = await makeReleaseDir(sextantBinary());
  server = serveDirectory(releaseDir, bridge);
}, 120_000);

afterAll(() => {
  server?.stop();
  rmSync(releaseDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe("install.sh", () => {
  test("installs the matching executable, checksum verified, into a fresh directory", async () => {
    const dir = join(scratch, "fresh", "bin");
    const result = await install([dir], { SEXTANT_INSTALL_URL: server.url });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Installed sextant ${SEXTANT_VERSION} to ${dir}/sextant`);
    expect(readdirSync(dir)).toEqual(["sextant"]);
    const version = await run([join(dir, "sextant"), "version"]);
    expect(version.stdout).toBe(`${SEXTANT_VERSION}\n`);
    expect(server.sent.get("sextant-linux-x64")).toBeGreaterThan(0);
  }, 120_000);

  test("without a directory it installs to ~/.local/bin", async () => {
    const home = join(scratch, "home-default");
    const result = await install([], { SEXTANT_INSTALL_URL: server.url, HOME: home });
    expect(result.code).toBe(0);
    expect(existsSync(join(home, ".local/bin/sextant"))).toBe(true);
    expect(result.stdout).toContain(`export PATH="${home}/.local/bin:$PATH"`);
  }, 120_000);

  test("a wrong checksum aborts with nothing installed", async () => {
    const bad = join(scratch, "bad-release");
    cpSync(releaseDir, bad, { recursive: true });
    const sums = readFileSync(join(bad, "SHA256SUMS"), "utf8");
    writeFileSync(join(bad, "SHA256SUMS"), sums.replace(/^[0-9a-f]{64}( {2}sextant-linux-x64)$/m, `${"0".repeat(64)}$1`));
    const badServer = serveDirectory(bad, bridge);
    try {
      const dir = join(scratch, "never", "bin");
      const result = await install([dir], { SEXTANT_INSTALL_URL: badServer.url });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("checksum mismatch for sextant-linux-x64");
      expect(result.stderr).toContain("nothing installed");
      expect(existsSync(dir)).toBe(false);
    } finally {
      badServer.stop();
    }
  }, 120_000);

  test("a release without this platform's executable says so", async () => {
    const partial = join(scratch, "partial-release");
    cpSync(releaseDir, partial, { recursive: true });
    writeFileSync(join(partial, "SHA256SUMS"), "");
    const result = await install([join(scratch, "none")], { SEXTANT_INSTALL_URL: partial });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("lists no sextant-linux-x64: nothing installed");
  });

  // What the composite action runs, with the variables a GitHub runner gives it.
  test("action.yml installs into the tool cache and puts it on PATH", async () => {
    const action = parseYaml(readFileSync(join(repoRoot, "action.yml"), "utf8"));
    const step = action.runs.steps[0];
    const runner = join(scratch, "runner");
    const vars = {
      PATH: "/usr/bin:/bin",
      HOME: join(runner, "home"),
      RUNNER_TOOL_CACHE: join(runner, "tool-cache"),
      RUNNER_OS: "Linux",
      GITHUB_ACTION_PATH: repoRoot,
      GITHUB_PATH: join(runner, "path"),
      GITHUB_OUTPUT: join(runner, "output"),
      SEXTANT_VERSION: "",
      SEXTANT_INSTALL_URL: server.url,
    };
    const result = await run(["/usr/bin/env", "-i", ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), "bash", "-e", "-c", step.run]);
    expect(result.code).toBe(0);
    const dir = join(runner, "tool-cache/sextant/bin");
    expect(readFileSync(vars.GITHUB_PATH, "utf8")).toBe(`${dir}\n`);
    expect(readFileSync(vars.GITHUB_OUTPUT, "utf8")).toBe(`path=${dir}/sextant\n`);
    expect((await run([join(dir, "sextant"), "version"])).stdout).toBe(`${SEXTANT_VERSION}\n`);
    expect(step.env).toEqual({ SEXTANT_VERSION: "${{ inputs.version }}", SEXTANT_INSTALL_URL: "${{ inputs.release-url }}" });
  }, 120_000);
});
