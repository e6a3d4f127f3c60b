/**
 * Renderers for output events. Human output is quiet by default (steps and per-host results with
 * timings), shows every command and its output with -v, only errors with -q; --json writes one JSON
 * object per line for scripts.
 */
import { colors } from "consola/utils";
import { formatBytes } from "./bytes.ts";
import type { OutputEvent, Reporter } from "./events.ts";
import { ProgressLine } from "./progress-line.ts";

export type Verbosity = "quiet" | "normal" | "verbose";

export interface Writer {
  out(text: string): void;
  err(text: string): void;
}

const processWriter: Writer = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export class HumanReporter implements Reporter {
  /** Transfer progress on one rewritten line: only on a terminal, only at normal verbosity. */
  private readonly progress?: ProgressLine;

  constructor(
    private readonly verbosity: Verbosity = "normal",
    private readonly writer: Writer = processWriter,
    terminal: boolean = writer === processWriter && process.stdout.isTTY === true,
  ) {
    if (terminal && verbosity === "normal") this.progress = new ProgressLine();
  }

  emit(event: OutputEvent): void {
    if (event.type === "progress") {
      if (this.progress) this.writer.out(this.progress.update(event.host, event.bytes, event.total));
      return;
    }
    const clear = this.progress?.clear();
    if (clear) this.writer.out(clear);
    if ((event.type === "transfer" || event.type === "host-failed") && this.progress) this.progress.done(event.host);
    const v = this.verbosity;
    switch (event.type) {
      case "step":
        if (v !== "quiet") this.writer.out(`${colors.cyan("▸")} ${event.title}\n`);
        return;
      case "step-done":
        if (v === "verbose") this.writer.out(colors.dim(`  ${event.title}: ${seconds(event.ms)}\n`));
        return;
      case "host-done":
        if (v !== "quiet") this.writer.out(`  ${colors.green("✓")} ${event.host.padEnd(15)} ${event.what} ${colors.dim(`(${seconds(event.ms)})`)}\n`);
        return;
      case "host-failed":
        this.writer.err(`  ${colors.red("✗")} ${event.host.padEnd(15)} ${event.what}: ${event.error}\n`);
        return;
      case "command":
        if (v === "verbose") this.writer.out(colors.dim(`  ${event.host} $ ${event.command}\n`));
        return;
      case "command-done":
        return;
      case "output":
        if (v === "verbose") {
          const lines = event.text.replace(/\n$/, "").split("\n");
          this.writer.out(colors.dim(lines.map((l) => `  ${event.host} │ ${l}\n`).join("")));
        }
        return;
      case "transfer":
        if (v !== "quiet")
          this.writer.out(
            `  ${colors.green("↑")} ${event.host.padEnd(15)} ${event.from ? `got ${formatBytes(event.bytes)} from ${event.from}` : `sent ${formatBytes(event.bytes)}`}, ${event.layers} of ${event.totalLayers} layers ${colors.dim(`(${seconds(event.ms)})`)}\n`,
          );
        return;
      case "info":
        if (v !== "quiet") this.writer.out(`  ${event.message}\n`);
        return;
      case "warn":
        this.writer.err(`  ${colors.yellow("!")} ${event.message}\n`);
        return;
      case "summary":
        if (v !== "quiet" || !event.ok) {
          const mark = event.ok ? colors.green("✓") : colors.red("✗");
          this.writer.out(`${mark} ${event.message} ${colors.dim(`in ${seconds(event.ms)}`)}\n`);
        }
        return;
    }
  }
}

/** One JSON object per event and line, for scripts (`--json`). */
class JsonReporter implements Reporter {
  constructor(private readonly writer: Writer = processWriter) {}
  emit(event: OutputEvent): void {
    this.writer.out(`${JSON.stringify(event)}\n`);
  }
}

export function createReporter(options: { verbose?: boolean; quiet?: boolean; json?: boolean }, writer?: Writer): Reporter {
  if (options.json) return new JsonReporter(writer);
  return new HumanReporter(options.verbose ? "verbose" : options.quiet ? "quiet" : "normal", writer);
}
