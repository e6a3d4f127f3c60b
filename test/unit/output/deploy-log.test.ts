/**
 * Deploy logs: output.file writes Kamal's per-command log file; output.otel ships OTLP/HTTP log
 * records to a real receiver process on loopback; a receiver that is down never fails the command.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DeployLogContext, isLoggedCommand, logFileName, openDeployLog } from "../../../src/output/deploy-log.ts";
import type { OutputEvent } from "../../../src/output/events.ts";

const dir = mkdtempSync(join(tmpdir(), "sextant-deploy-log-"));
const received = join(dir, "received.jsonl");
let receiver: ChildProcess;
let endpoint = "";

beforeAll(async () => {
  receiver = spawn(process.execPath, [join(import.meta.dir, "../../support/otlp-receiver.ts"), received], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    receiver.stdout!.on("data", (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(chunk.toString());
      if (m) resolve(m[1]!);
    });
    receiver.on("exit", (code) => reject(new Error(`receiver exited ${code}`)));
  });
  endpoint = `http://127.0.0.1:${port}/`;
});
afterAll(() => {
  receiver?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function context(notices: OutputEvent[], overrides: Partial<DeployLogContext> = {}): DeployLogContext {
  return {
    command: "deploy",
    service: "app",
    version: "abc123",
    destination: "staging",
    performer: "dev@example.com",
    cwd: dir,
    redact: (t) => t.replaceAll("s3cr3t", "[REDACTED]"),
    notify: (e) => notices.push(e),
    ...overrides,
  };
}

const EVENTS: OutputEvent[] = [
  { type: "step", title: "Pull dhh/app:abc123" },
  { type: "command", host: "10.0.0.1", command: "docker pull dhh/app:abc123" },
  { type: "output", host: "10.0.0.1", stream: "stdout", text: "abc123: Pulling from dhh/app\nDigest: sha256:00\n" },
  { type: "host-done", host: "10.0.0.1", what: "pulled", ms: 1200 },
  { type: "warn", message: "something odd" },
];

interface Payload {
  resourceLogs: { resource: { attributes: { key: string; value: Record<string, unknown> }[] }; scopeLogs: { logRecords: Record<string, any>[] }[] }[];
}
const payloads = (): Payload[] =>
  readFileSync(received, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Payload);
const records = () => payloads().flatMap((p) => p.resourceLogs[0]!.scopeLogs[0]!.logRecords);

describe("output.file", () => {
  test("one file per command, Kamal's name, every command and its output, ending with the result", async () => {
    const notices: OutputEvent[] = [];
    const log = openDeployLog({ file: { path: "logs" } }, context(notices))!;
    for (const e of EVENTS) log.emit(e);
    await log.finish();
    const files = readdirSync(join(dir, "logs"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_staging_deploy\.log$/);
    const path = join(dir, "logs", files[0]!);
    const text = readFileSync(path, "utf8");
    expect(text).toContain("docker pull dhh/app:abc123");
    expect(text).toContain("10.0.0.1 │ Digest: sha256:00");
    expect(text).toContain("something odd");
    expect(text).not.toContain("\x1b[");
    expect(text.trimEnd().split("\n").at(-1)).toMatch(/^# Completed in \d+(\.\d)?s$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(notices).toContainEqual({ type: "info", message: `Logs written to ${path}` });
  });

  test("a failed command ends its log with the error, secrets redacted", async () => {
    const log = openDeployLog({ file: { path: join(dir, "failed") } }, context([], { command: "app", subcommand: "boot", destination: undefined }))!;
    await log.finish(new Error("boom with s3cr3t\nsecond line"));
    const [file] = readdirSync(join(dir, "failed"));
    expect(file).toMatch(/_app_boot\.log$/);
    expect(
      readFileSync(join(dir, "failed", file!), "utf8")
        .trimEnd()
        .split("\n")
        .at(-1),
    ).toMatch(/^# FAILED: Error: boom with \[REDACTED\] \(\d+(\.\d)?s\)$/);
  });

  test("only commands that change servers are logged (Kamal's modify scope)", () => {
    expect(openDeployLog({ file: { path: "x" } }, context([], { command: "app", subcommand: "logs" }))).toBeUndefined();
    expect(openDeployLog({}, context([]))).toBeUndefined();
    expect(["deploy", "setup", "rollback", "remove"].every((c) => isLoggedCommand(c))).toBe(true);
    expect([isLoggedCommand("app", "exec"), isLoggedCommand("lock", "status"), isLoggedCommand("proxy", "reboot")]).toEqual([false, false, true]);
    expect(logFileName({ command: "proxy", subcommand: "reboot" }, new Date(2026, 0, 2, 3, 4, 5))).toBe("2026-01-02T03-04-05_proxy_reboot.log");
  });
});

describe("output.otel", () => {
  test("ships kamal.start, every line and kamal.complete to ENDPOINT/v1/logs with Kamal's attributes", async () => {
    rmSync(received, { force: true });
    const notices: OutputEvent[] = [];
    const log = openDeployLog({ otel: { endpoint } }, context(notices))!;
    for (const e of EVENTS) log.emit(e);
    await log.finish();
    const [payload] = payloads();
    const resource = Object.fromEntries(payload!.resourceLogs[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(resource).toMatchObject({
      "service.name": "kamal",
      "service.namespace": "app",
      "kamal.deploy_version": "abc123",
      "kamal.performer": "dev@example.com",
      "deployment.environment.name": "staging",
    });
    const all = records();
    expect(all[0]!.eventName).toBe("kamal.start");
    const attrs = (r: Record<string, any>) => Object.fromEntries((r.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]]));
    expect(attrs(all[0]!)).toMatchObject({ "kamal.command": "deploy", "deployment.id": resource["kamal.run_id"], "deployment.name": "deploy app" });
    const digest = all.find((r) => r.body.stringValue === "Digest: sha256:00")!;
    expect(attrs(digest)).toEqual({ "server.address": "10.0.0.1", "log.iostream": "stdout" });
    expect(digest.severityText).toBe("DEBUG");
    expect(all.find((r) => r.body.stringValue.includes("something odd"))!.severityText).toBe("WARN");
    const last = all.at(-1)!;
    expect(last.eventName).toBe("kamal.complete");
    expect(attrs(last)).toMatchObject({ "kamal.command": "deploy", "deployment.status": "succeeded" });
    expect(typeof attrs(last)["kamal.runtime"]).toBe("number");
    expect(notices).toContainEqual({ type: "info", message: `Logs sent to ${endpoint}` });
  });

  test("a failure is a kamal.failed event with the exception", async () => {
    rmSync(received, { force: true });
    const log = openDeployLog({ otel: { endpoint } }, context([], { command: "proxy", subcommand: "reboot" }))!;
    await log.finish(new TypeError("no route"));
    const last = records().at(-1)!;
    expect(last.eventName).toBe("kamal.failed");
    expect(last.severityText).toBe("ERROR");
    const attrs = Object.fromEntries(last.attributes.map((a: any) => [a.key, Object.values(a.value)[0]]));
    expect(attrs).toMatchObject({ "kamal.command": "proxy reboot", "exception.type": "TypeError", "exception.message": "no route" });
    expect(attrs["deployment.status"]).toBeUndefined(); // only deploy commands are deployments
  });

  test("a receiver that is down: one warning, the command goes on", async () => {
    const notices: OutputEvent[] = [];
    const log = openDeployLog({ otel: { endpoint: "http://127.0.0.1:1" } }, context(notices))!;
    for (const e of EVENTS) log.emit(e);
    await log.finish();
    const warnings = notices.filter((n) => n.type === "warn");
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as { message: string }).message).toStartWith("OTel log shipping failed: ");
    expect(notices.some((n) => n.type === "info" && n.message.startsWith("Logs sent"))).toBe(false);
  });
});
