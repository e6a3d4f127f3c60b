/**
 * What every command that talks to servers does first and last: load the configuration with the
 * global options, make the reporter (-v, -q, --json), open a run; close its SSH connections at the end.
 */
import { defineCommand } from "citty";
import { loadConfig } from "../config/index.ts";
import { Run } from "../orchestration/run.ts";
import { type DeployLog, openDeployLog } from "../output/deploy-log.ts";
import type { OutputEvent } from "../output/events.ts";
import { createReporter } from "../output/reporter.ts";
import { commandPath, globalOptions } from "./context.ts";

export interface StartOptions {
  json?: boolean;
  /** Act on this version instead of --version / VERSION / git (rollback). */
  version?: string;
  /** Show errors only, whatever -v says (output meant for pipes, e.g. `app exec --raw`). */
  quiet?: boolean;
}

/** `options` may be left out; the command's name comes from where the runner found it in the tree. */
export async function withRun<T>(options: StartOptions, fn: (run: Run) => Promise<T>): Promise<T> {
  const g = globalOptions();
  // KAMAL_COMMAND / KAMAL_SUBCOMMAND: `proxy boot_config set` is command proxy, sub-command boot_config.
  const [command = "sextant", subcommand] = commandPath();
  const { secretsFileRunCommand } = await import("../secrets/inline.ts");
  const config = loadConfig({
    configFile: g.configFile,
    destination: g.destination,
    version: options.version ?? g.version,
    // `$(kamal secrets fetch ...)` in a secrets file runs inside sextant, as in Kamal.
    runCommand: secretsFileRunCommand({ cwd: process.cwd(), env: process.env }),
  });
  const shown = createReporter({ verbose: g.verbose && !options.quiet, quiet: g.quiet || options.quiet, json: options.json });
  // Every event also reaches the deploy log (output.file / output.otel) once it is open.
  let log: DeployLog | undefined;
  const reporter = {
    emit(event: OutputEvent) {
      shown.emit(event);
      log?.emit(event);
    },
  };
  const run = new Run({
    config,
    reporter,
    command,
    subcommand,
    hosts: g.hosts,
    roles: g.roles,
    primary: g.primary,
    skipHooks: g.skipHooks,
    verbosity: g.quiet || options.quiet ? "quiet" : g.verbose ? "verbose" : "normal",
    lockWait: g.lockWait ? { timeoutSeconds: g.lockWaitTimeout, intervalSeconds: g.lockWaitInterval } : undefined,
  });
  log = openDeployLog(config.output, {
    command,
    subcommand,
    service: config.service,
    version: config.version,
    destination: config.destination,
    get performer() {
      return run.performer;
    },
    cwd: config.cwd,
    redact: (text) => run.session.redact(text),
    notify: (event) => shown.emit(event),
  });
  try {
    const result = await fn(run);
    await log?.finish();
    return result;
  } catch (error) {
    await log?.finish(error);
    throw error;
  } finally {
    await run.close();
  }
}

/**
 * A sub-command that only runs one orchestration function on the selection (`proxy start`,
 * `app stop`, ...): the module is imported when the command runs, as every command is.
 */
export function opCommand(meta: { name: string; description: string }, load: () => Promise<(run: Run) => Promise<unknown>>, start: () => Partial<StartOptions> = () => ({})) {
  return defineCommand({
    meta,
    async run() {
      const op = await load();
      await withRun(start(), (run) => op(run));
    },
  });
}
