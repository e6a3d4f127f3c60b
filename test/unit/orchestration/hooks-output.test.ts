/**
 * hooks_output as in Kamal's run_hook: at the normal level the config decides (verbose: the hook's
 * output, quiet: not even the "Running" line); -v shows every hook's output, -q nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHook } from "../../../src/orchestration/hooks.ts";
import { hookVerbosity } from "../../../src/orchestration/run.ts";
import { HumanReporter } from "../../../src/output/reporter.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-hooks-"));
mkdirSync(join(dir, ".kamal/hooks"), { recursive: true });
writeFileSync(join(dir, ".kamal/hooks/pre-build"), "#!/bin/sh\necho HOOK-SAYS-HELLO\n");
chmodSync(join(dir, ".kamal/hooks/pre-build"), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a person sees at the CLI level `cli` with `hooks_output` set to `configured`. */
async function shown(cli: "quiet" | "normal" | "verbose", configured?: "quiet" | "verbose"): Promise<string> {
  let text = "";
  const reporter = new HumanReporter(cli, { out: (t) => (text += t), err: (t) => (text += t) });
  await runHook("pre-build", {}, { cwd: dir, hooksPath: ".kamal/hooks", skipHooks: false, reporter, redact: (t) => t, output: hookVerbosity(cli, configured) });
  return text;
}

describe("hooks_output", () => {
  test("normal level: the Running line only, unless the config says verbose or quiet", async () => {
    expect(await shown("normal")).toContain("Running the pre-build hook...");
    expect(await shown("normal")).not.toContain("HOOK-SAYS-HELLO");
    expect(await shown("normal", "verbose")).toContain("HOOK-SAYS-HELLO");
    expect(await shown("normal", "quiet")).toBe("");
  });

  test("-v shows every hook's output and -q nothing, whatever the config says", async () => {
    expect(await shown("verbose")).toContain("HOOK-SAYS-HELLO");
    expect(await shown("verbose", "quiet")).toContain("HOOK-SAYS-HELLO");
    expect(await shown("quiet", "verbose")).toBe("");
  });
});
