/**
 * Deploy logs (`output.file` / `output.otel`, Kamal 2.12): every command that changes servers also
 * writes what it did — each step, host result, command and its output, secrets already redacted —
 * to a local file and/or ships it as OTLP log records. A log sink never fails the command: a write
 * or network error is reported once as a warning and the deploy goes on.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { OutputEvent, Reporter } from "./events.ts";
import { OtlpShipper, type Severity } from "./otlp.ts";
import { HumanReporter, type Writer } from "./reporter.ts";

export interface DeployLogSettings {
  file?: { path: string };
  otel?: { endpoint: string };
}

export interface DeployLogContext {
  command: string;
  subcommand?: string;
  service: string;
  version: string;
  destination?: string;
  performer: string;
  /** Where relative paths start (the project directory). */
  cwd: string;
  /** Removes secret values (from error messages). */
  redact?: (text: string) => string;
  /** Tells the user where the logs went, and about sink failures. */
  notify: (event: OutputEvent) => void;
}

/** Commands whose output is logged (Kamal's "modify" scope: the ones that change servers). */
const LOGGED = new Set([
  "deploy",
  "redeploy",
  "rollback",
  "setup",
  "remove",
  "app boot",
  "app start",
  "app stop",
  "app remove",
  "app maintenance",
  "app live",
  "proxy boot",
  "proxy reboot",
  "proxy start",
  "proxy stop",
  "proxy restart",
  "proxy remove",
  "proxy upgrade",
  "accessory boot",
  "accessory reboot",
  "accessory start",
  "accessory stop",
  "accessory restart",
  "accessory remove",
  "accessory upgrade",
  "prune all",
  "prune images",
  "prune containers",
  "server bootstrap",
  "rollout set",
  "rollout promote",
  "rollout stop",
]);

export function isLoggedCommand(command: string, subcommand?: string): boolean {
  return LOGGED.has(command) || (subcommand !== undefined && LOGGED.has(`${command} ${subcommand}`));
}

const DEPLOY_COMMANDS = new Set(["deploy", "redeploy", "rollback", "setup"]);

/** Kamal's file name: `YYYY-MM-DDTHH-MM-SS[_DEST]_COMMAND[_SUBCOMMAND].log` (local time). */
export function logFileName(context: Pick<DeployLogContext, "command" | "subcommand" | "destination">, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  const command = [context.command, context.subcommand].filter(Boolean).join("_");
  return `${[stamp, context.destination, command].filter(Boolean).join("_")}.log`;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** The reporter that feeds the sinks, and how to end them. */
export interface DeployLog extends Reporter {
  finish(error?: unknown): Promise<void>;
}

/** A deploy log for this command, or undefined when none is configured or the command changes nothing. */
export function openDeployLog(settings: DeployLogSettings, context: DeployLogContext): DeployLog | undefined {
  if (!isLoggedCommand(context.command, context.subcommand)) return undefined;
  const sinks: Sink[] = [];
  if (settings.file?.path) sinks.push(new FileSink(settings.file.path, context));
  if (settings.otel?.endpoint) sinks.push(new OtelSink(settings.otel.endpoint, context));
  if (sinks.length === 0) return undefined;
  const started = performance.now();
  for (const sink of sinks) sink.start();
  return {
    emit: (event) => {
      for (const sink of sinks) sink.emit(event);
    },
    async finish(error?: unknown) {
      const runtime = Math.round((performance.now() - started) / 100) / 10;
      for (const sink of sinks) await sink.finish(runtime, error);
    },
  };
}

interface Sink {
  start(): void;
  emit(event: OutputEvent): void;
  finish(runtimeSeconds: number, error?: unknown): Promise<void>;
}

function errorParts(error: unknown, redact: (text: string) => string = (t) => t): { type: string; message: string } {
  if (error instanceof Error) return { type: error.constructor.name, message: redact(error.message.split("\n")[0] ?? "") };
  return { type: "Error", message: redact(String(error)) };
}

/** The verbose human text, without colours, appended to one file per command. */
class FileSink implements Sink {
  private readonly file: string;
  private readonly human: HumanReporter;
  private broken = false;

  constructor(
    dir: string,
    private readonly context: DeployLogContext,
  ) {
    this.file = join(dir.startsWith("/") ? dir : join(context.cwd, dir), logFileName(context));
    const write = (text: string) => this.append(text);
    const writer: Writer = { out: write, err: write };
    this.human = new HumanReporter("verbose", writer);
  }

  private append(text: string): void {
    if (this.broken) return;
    try {
      appendFileSync(this.file, text.replace(ANSI, ""), { mode: 0o600 });
    } catch (error) {
      this.broken = true;
      this.context.notify({ type: "warn", message: `output.file: cannot write ${this.file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); the command goes on without it` });
    }
  }

  start(): void {
    try {
      mkdirSync(this.file.slice(0, this.file.lastIndexOf("/")), { recursive: true });
    } catch {
      // append() reports it.
    }
    const c = this.context;
    this.append(`# sextant ${[c.command, c.subcommand].filter(Boolean).join(" ")} of ${c.service} ${c.version}${c.destination ? ` (${c.destination})` : ""} by ${c.performer}\n`);
  }

  emit(event: OutputEvent): void {
    this.human.emit(event);
  }

  async finish(runtime: number, error?: unknown): Promise<void> {
    if (error === undefined) this.append(`# Completed in ${runtime}s\n`);
    else {
      const { type, message } = errorParts(error, this.context.redact);
      this.append(`# FAILED: ${type}: ${message} (${runtime}s)\n`);
    }
    if (!this.broken) this.context.notify({ type: "info", message: `Logs written to ${this.file}` });
  }
}

/** OTLP/HTTP log records, as Kamal's OtelShipper sends them (kamal.start / kamal.complete / kamal.failed). */
class OtelSink implements Sink {
  private readonly shipper: OtlpShipper;
  private readonly lineBuffer: string[] = [];
  private readonly human: HumanReporter;

  constructor(
    private readonly endpoint: string,
    private readonly context: DeployLogContext,
  ) {
    this.shipper = new OtlpShipper(endpoint, {
      tags: { service: context.service, version: context.version, performer: context.performer, destination: context.destination },
      onError: (message) => context.notify({ type: "warn", message: `OTel log shipping failed: ${message}` }),
    });
    const collect = (text: string) => this.lineBuffer.push(text.replace(ANSI, ""));
    this.human = new HumanReporter("verbose", { out: collect, err: collect });
  }

  private get fullCommand(): string {
    return [this.context.command, this.context.subcommand].filter(Boolean).join(" ");
  }

  private deployment(status?: string): Record<string, string> {
    if (!DEPLOY_COMMANDS.has(this.context.command)) return {};
    return {
      "deployment.id": this.shipper.runId,
      "deployment.name": `${this.fullCommand} ${this.context.service}`,
      ...(status ? { "deployment.status": status } : {}),
    };
  }

  start(): void {
    this.shipper.event("kamal.start", "info", { "kamal.command": this.fullCommand, ...this.deployment() });
  }

  emit(event: OutputEvent): void {
    if (event.type === "output") {
      this.shipper.lines(event.text, "debug", { host: event.host, iostream: event.stream });
      return;
    }
    this.human.emit(event);
    const text = this.lineBuffer.splice(0).join("");
    if (!text) return;
    const severity: Severity = event.type === "warn" ? "warn" : event.type === "host-failed" ? "error" : event.type === "command" ? "debug" : "info";
    this.shipper.lines(text, severity, { host: "host" in event && event.host !== "local" ? event.host : undefined });
  }

  async finish(runtime: number, error?: unknown): Promise<void> {
    if (error === undefined) {
      this.shipper.event("kamal.complete", "info", { "kamal.command": this.fullCommand, "kamal.runtime": runtime, ...this.deployment("succeeded") });
    } else {
      const { type, message } = errorParts(error, this.context.redact);
      this.shipper.event("kamal.failed", "error", {
        "kamal.command": this.fullCommand,
        "kamal.runtime": runtime,
        "exception.type": type,
        "exception.message": message,
        ...this.deployment("failed"),
      });
    }
    const shipped = await this.shipper.shutdown();
    if (shipped) this.context.notify({ type: "info", message: `Logs sent to ${this.endpoint}` });
  }
}
