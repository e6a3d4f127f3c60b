#!/usr/bin/env bun
/**
 * The entry point of the one binary. Three ways in:
 *   sextant <command> ...          the deploy tool (citty commands under src/cli)
 *   sextant proxy-server <cmd> ... the reverse proxy's command line (proxy/), as run in the proxy container
 *   kamal-proxy <cmd> ...          the same, when the binary is started under kamal-proxy's name
 * This is the only module that exits the process.
 */
import { invokedName, normalJitPolicy } from "./runtime.ts";

function isVerbose(argv: readonly string[]): boolean {
  return argv.includes("-v") || argv.includes("--verbose") || process.env.VERBOSE === "1";
}

async function main(argv: string[]): Promise<number> {
  const name = invokedName();
  if (name === "kamal-proxy" || argv[0] === "proxy-server") {
    const { runProxyCli } = await import("../proxy/cli/main.ts");
    return name === "kamal-proxy" ? runProxyCli(argv, "kamal-proxy") : runProxyCli(argv.slice(1), "sextant proxy-server");
  }
  if (argv[0] === "proxy-image-share") {
    // Runs on a server, inside the proxy image: passes the image on to the other servers.
    normalJitPolicy();
    const { runShare } = await import("./proxy-image/share.ts");
    return runShare(argv.slice(1));
  }
  handleInterrupts();
  const [{ runCli }, { rootCommand }] = await Promise.all([import("./cli/runner.ts"), import("./cli/root.ts")]);
  normalJitPolicy();
  return runCli(rootCommand, argv);
}

/**
 * Ctrl-C / SIGTERM in the CLI: run the registered cleanups (the deploy lock is released), then exit
 * 130. A second Ctrl-C exits at once. (Proxy mode has its own graceful shutdown.)
 */
function handleInterrupts(): void {
  let interrupted = false;
  const onSignal = async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\nInterrupted: cleaning up (the deploy lock is released); press Ctrl-C again to quit at once\n");
    const { runInterruptCleanups } = await import("./interrupt.ts");
    await runInterruptCleanups();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

function printError(error: unknown, verbose: boolean): void {
  const color = process.stderr.isTTY && !process.env.NO_COLOR;
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const known = error instanceof Error && "hint" in error;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${red("ERROR")} ${message}\n`);
  const hint = known ? (error as { hint?: string }).hint : undefined;
  if (hint) process.stderr.write(`${dim(hint)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${dim(error.stack)}\n`);
  else if (!known) process.stderr.write(`${dim("This looks like a bug in sextant; run again with -v for details.")}\n`);
}

const argv = process.argv.slice(2);
// No top-level await: the binary is compiled to bytecode, which needs a plain module body.
main(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    printError(error, isVerbose(argv));
    process.exit(1);
  },
);
