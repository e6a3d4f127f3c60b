/**
 * Hooks: executables in `.kamal/hooks/<name>` (or `hooks_path`), run locally with Kamal's KAMAL_*
 * environment. A missing hook is skipped; a failing one aborts the command with its output.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { resolve } from "node:path";
import type { HookName } from "../commands/hooks.ts";
import { SextantError } from "../errors.ts";
import type { Reporter } from "../output/events.ts";
import { runLocal } from "./local.ts";

class HookError extends SextantError {}

export interface HookRunOptions {
  cwd: string;
  hooksPath: string;
  skipHooks: boolean;
  reporter: Reporter;
  redact: (text: string) => string;
  /** What is shown: "verbose" the hook's output too, "quiet" not even that it ran. */
  output?: "quiet" | "normal" | "verbose";
}

/** Run a hook if it exists; returns whether it ran. */
export async function runHook(name: HookName, env: Record<string, string>, options: HookRunOptions): Promise<boolean> {
  if (options.skipHooks) return false;
  const path = resolve(options.cwd, options.hooksPath, name);
  if (!existsSync(path)) return false;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new HookError(`Hook \`${name}\` is not executable: ${path}`, { hint: `chmod +x ${options.hooksPath}/${name}` });
  }
  if (options.output !== "quiet") options.reporter.emit({ type: "info", message: `Running the ${name} hook...` });
  const result = await runLocal([path], {
    cwd: options.cwd,
    env,
    allowFailure: true,
    redact: options.redact,
    reporter: options.output === "verbose" ? shownAsInfo(options.reporter) : undefined,
  });
  if (result.code !== 0) {
    const output = options.redact(`${result.stdout}${result.stderr}`).trim().split("\n").slice(-20).join("\n");
    throw new HookError(`Hook \`${name}\` failed (exit ${result.code})${output ? `:\n${output}` : ""}`, {
      hint: `Fix ${options.hooksPath}/${name}, or run with --skip-hooks to skip hooks.`,
    });
  }
  return true;
}

/** The hook's output as plain info lines, so it shows at the normal level too (hooks_output: verbose). */
function shownAsInfo(reporter: Reporter): Reporter {
  return {
    emit(event) {
      if (event.type !== "output") return reporter.emit(event);
      for (const line of event.text.replace(/\n$/, "").split("\n")) reporter.emit({ type: "info", message: `  ${line}` });
    },
  };
}
