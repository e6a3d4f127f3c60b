/**
 * The seam between the CLI and the JavaScript runtime. The CLI runs under Bun (and as the compiled
 * binary) and under Deno 2; everything here uses node: built-ins or web standards, and the only
 * Bun-specific knowledge (is this a compiled executable? the JIT's policy) is read through globalThis,
 * so Deno never needs Bun's types or APIs at run time.
 */
import { basename } from "node:path";

type BunGlobal = { version: string; main: string; unsafe?: { setJITPolicy?: (scale: number) => void } };

const runtimeGlobals = globalThis as unknown as { Bun?: BunGlobal };
const bun = runtimeGlobals.Bun;

/**
 * True when running as the single executable made by `bun build --compile`. Such a binary's entry
 * module lives in Bun's virtual file system ($bunfs / B:\~BUN\).
 */
export function isCompiledBinary(): boolean {
  return !!bun && (bun.main.startsWith("/$bunfs/") || bun.main.includes("~BUN"));
}

/**
 * The name this process was started under (argv[0] of the executable, or the script when run from
 * source). Used to speak kamal-proxy's command line when started as `kamal-proxy`.
 */
export function invokedName(argv0: string = process.argv0, script: string | undefined = process.argv[1]): string {
  const own = withoutExtension(basename(argv0), [".exe"]);
  if (own === "kamal-proxy" || own === "sextant") return own;
  // Under `bun src/main.ts` or a symlink to a script, argv[1] carries the name.
  if (script && withoutExtension(basename(script), [".ts", ".js", ".exe"]) === "kamal-proxy") return "kamal-proxy";
  return own;
}

/**
 * The name without the first of these extensions it ends with, in any case. (No regex: this runs at
 * every start, the proxy's too, and an idle proxy that never runs one never loads the regex compiler.)
 */
function withoutExtension(name: string, extensions: string[]): string {
  const lower = name.toLowerCase();
  const ext = extensions.find((e) => lower.endsWith(e));
  return ext ? name.slice(0, -ext.length) : name;
}

/** Absolute path of the running executable (the sextant binary itself when compiled). */
export function executablePath(): string {
  return process.execPath;
}

/**
 * Back to JavaScriptCore's normal JIT policy. The compiled binary starts every run with the JIT held
 * back (scripts/build: --compile-jit-policy), so code that only runs at start-up stays interpreted:
 * that suits the proxy at rest (proxy/jit-policy.ts). The CLI is past its start-up once its command is
 * loaded, and from there works like any Bun program. Nothing to do under Deno or an older Bun.
 */
export function normalJitPolicy(): void {
  bun?.unsafe?.setJITPolicy?.(1);
}
