/**
 * Kamal keys that must do what they say, end to end on the bed, as a Rails-style project would use
 * them: asset bridging (`asset_path`), custom error pages (`error_pages_path`), deploy logs
 * (`output.file`, `output.otel` to a real receiver process), `deploy --json`, and `--lock-wait`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encode64, lockDetailsText } from "../../src/commands/lock.ts";
import { SECRETS, serviceYml } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, repoRoot, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[0]!;
const SERVICE = "assets";
const ASSET_SECRET = `asset-secret-${Math.random().toString(36).slice(2)}`;

let project: Project;
let receiver: ChildProcess;
let otelFile = "";
let endpoint = "";
const versions: string[] = [];

function indexPage(version: string): string {
  return `<html><head><link rel="stylesheet" href="/assets/app-${version}.css"></head><body><b id="version">${version}</b></body></html>\n`;
}

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${host}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

async function sextant(args: string[]) {
  const result = await project.sextant(args, { env: { ASSET_SECRET_VALUE: ASSET_SECRET } });
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(ASSET_SECRET);
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

async function startReceiver(): Promise<void> {
  otelFile = join(project.dir, "..", "otel.jsonl");
  receiver = spawn(process.execPath, [join(repoRoot, "test/support/otlp-receiver.ts"), otelFile], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    receiver.stdout!.on("data", (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(chunk.toString());
      if (m) resolve(m[1]!);
    });
    receiver.on("exit", (code) => reject(new Error(`the OTLP receiver exited with ${code}`)));
  });
  endpoint = `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  project = await makeProject(bed, {
    ".kamal/secrets": `${SECRETS}ASSET_SECRET=$ASSET_SECRET_VALUE\n`,
    "www/index.html": indexPage("one"),
    "www/assets/app-one.css": "body { color: red } /* one */\n",
    "errors/502.html": "<h1>assets: the app is restarting, try again in a moment</h1>\n",
    "errors/503.html": "<h1>assets: down for maintenance</h1>\n",
  });
  await startReceiver();
  project.write(
    "config/deploy.yml",
    serviceYml(bed, {
      service: SERVICE,
      roles: { web: [host] },
      extra: ["asset_path: /www/assets", "error_pages_path: errors", "env:\n  secret:\n    - ASSET_SECRET", 'output:\n  file:\n    path: log/deploys\n  otel:\n    endpoint: <%= ENV.fetch("OTEL_ENDPOINT") %>'].join(
        "\n",
      ),
    }),
  );
  project.env.OTEL_ENDPOINT = endpoint;
  versions.push(await project.commit("one"));
});

afterAll(async () => {
  await project.sextant(["remove", "-y"]).catch(() => undefined);
  receiver?.kill();
  project.cleanup();
});

describe("asset_path, error_pages_path, output, --json, --lock-wait", () => {
  test("setup: the image's assets are served from the bridged volume", async () => {
    const result = await sextant(["setup"]);
    expect(result.code, result.output).toBe(0);
    expect(await get("/assets/app-one.css")).toEqual({ status: 200, body: "body { color: red } /* one */\n" });
    const dirs = await onHost(bed, host, `ls .kamal/apps/${SERVICE}/assets/extracted .kamal/apps/${SERVICE}/assets/volumes`);
    expect(dirs.stdout).toContain(`web-${versions[0]}`);
  });

  test("deploy --json of a release with new fingerprints: old pages' assets never fail while the new version takes over", async () => {
    // As `rails assets:precompile` does: the new image has only the new fingerprinted file.
    project.write("www/index.html", indexPage("two"));
    project.write("www/assets/app-two.css", "body { color: blue } /* two */\n");
    await run(["git", "rm", "-q", "www/assets/app-one.css"], { cwd: project.dir });
    versions.push(await project.commit("two"));

    const load = continuousLoad([`http://${host}/assets/app-one.css`, `http://${host}/`], { workers: 4 });
    const result = await sextant(["deploy", "--json"]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    expect(stats.total).toBeGreaterThan(20);

    // Every line of --json is one JSON event; the last is the summary.
    const lines = result.stdout.trim().split("\n");
    const events = lines.map((line) => JSON.parse(line) as { type: string; message?: string; ok?: boolean });
    expect(events.find((e) => e.type === "summary")).toMatchObject({ ok: true });
    expect(events.some((e) => e.type === "step")).toBe(true);

    // The new container serves both versions' files; the old version's volume got the new one too.
    expect((await get("/")).body).toContain('id="version">two<');
    expect(await get("/assets/app-one.css")).toEqual({ status: 200, body: "body { color: red } /* one */\n" });
    expect((await get("/assets/app-two.css")).status).toBe(200);
    // Old asset directories are cleaned up once the old container stopped.
    const dirs = await onHost(bed, host, `ls .kamal/apps/${SERVICE}/assets/volumes`);
    expect(dirs.stdout.trim().split("\n")).toEqual([`web-${versions[1]}`]);
  });

  test("error pages: the app's own 502 page when the app refuses connections, its 503 page in maintenance, and only this version's pages are kept", async () => {
    const pages = await onHost(bed, host, `ls .kamal/proxy/apps-config/${SERVICE}/error_pages; ls .kamal/proxy/apps-config/${SERVICE}/error_pages/${versions[1]}`);
    expect(pages.stdout.trim().split("\n")).toEqual([versions[1]!, "502.html", "503.html"]);
    // The app stops answering (its port refuses connections, as when the server inside crashed).
    const container = `${SERVICE}-web-${versions[1]}`;
    const reject = (op: string) => onHost(bed, host, `nsenter -t $(docker inspect -f '{{.State.Pid}}' ${container}) -n iptables ${op} INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset`);
    expect((await reject("-I")).code).toBe(0);
    try {
      const down = await get("/");
      expect(down.status).toBe(502);
      expect(down.body).toContain("assets: the app is restarting");
    } finally {
      await reject("-D");
    }
    expect((await get("/")).status).toBe(200);
    const maintenance = await sextant(["app", "maintenance"]);
    expect(maintenance.code, maintenance.output).toBe(0);
    expect(await get("/")).toMatchObject({ status: 503, body: expect.stringContaining("assets: down for maintenance") });
    expect((await sextant(["app", "live"])).code).toBe(0);
    expect((await get("/")).status).toBe(200);
  });

  test("output.file: one log per command that changed servers, secrets redacted", () => {
    const dir = join(project.dir, "log/deploys");
    const files = readdirSync(dir).sort();
    expect(files.some((f) => /_setup\.log$/.test(f))).toBe(true);
    expect(files.some((f) => /_deploy\.log$/.test(f))).toBe(true);
    expect(files.some((f) => /_app_maintenance\.log$/.test(f))).toBe(true);
    const deployLog = readFileSync(join(dir, files.find((f) => f.endsWith("_deploy.log"))!), "utf8");
    expect(deployLog).toContain(`docker pull ${bed.registry}/e2e/${SERVICE}:${versions[1]}`);
    expect(deployLog.trimEnd().split("\n").at(-1)).toMatch(/^# Completed in \d+(\.\d)?s$/);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(text).not.toContain(ASSET_SECRET);
      expect(text).not.toContain(bed.registryPassword);
    }
  });

  test("output.otel: the deploy reached the receiver as kamal.start ... kamal.complete", () => {
    expect(existsSync(otelFile)).toBe(true);
    const text = readFileSync(otelFile, "utf8");
    expect(text).not.toContain(ASSET_SECRET);
    expect(text).not.toContain(bed.registryPassword);
    const records = text
      .trim()
      .split("\n")
      .flatMap(
        (line) =>
          (JSON.parse(line) as { resourceLogs: { scopeLogs: { logRecords: { eventName?: string; attributes?: { key: string; value: { stringValue?: string } }[] }[] }[] }[] }).resourceLogs[0]!.scopeLogs[0]!
            .logRecords,
      );
    const events = records.filter((r) => r.eventName).map((r) => `${r.eventName} ${r.attributes?.find((a) => a.key === "kamal.command")?.value.stringValue}`);
    expect(events).toContain("kamal.start deploy");
    expect(events).toContain("kamal.complete deploy");
    expect(events).toContain("kamal.complete setup");
    expect(records.length).toBeGreaterThan(20);
  });

  test("a receiver that is down never fails a deploy", async () => {
    receiver.kill();
    await new Promise((r) => receiver.once("exit", r));
    const result = await sextant(["redeploy", "-P"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("OTel log shipping failed");
  });

  test("--lock-wait waits for a deploy holding the lock, then deploys", async () => {
    const details = encode64(lockDetailsText({ lockedBy: "Other Dev", at: "2026-01-01T00:00:00Z", version: "x", message: "Automatic deploy lock" }));
    await onHost(bed, host, `mkdir -p .kamal/lock-${SERVICE} && echo "${details}" > .kamal/lock-${SERVICE}/details`);
    const started = performance.now();
    const waiting = sextant(["redeploy", "-P", "--lock-wait", "--lock-wait-timeout", "60", "--lock-wait-interval", "1"]);
    await new Promise((r) => setTimeout(r, 3000));
    await onHost(bed, host, `rm -r .kamal/lock-${SERVICE}`);
    const result = await waiting;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("Deploy lock is held by:");
    expect(result.output).toContain("Locked by: Other Dev");
    expect(performance.now() - started).toBeGreaterThan(3000);
  });

  test("--lock-wait gives up after its timeout, naming the holder", async () => {
    const details = encode64(lockDetailsText({ lockedBy: "Other Dev", at: "2026-01-01T00:00:00Z", version: "x", message: "Automatic deploy lock" }));
    await onHost(bed, host, `mkdir -p .kamal/lock-${SERVICE} && echo "${details}" > .kamal/lock-${SERVICE}/details`);
    try {
      const result = await sextant(["redeploy", "-P", "--lock-wait", "--lock-wait-timeout", "2", "--lock-wait-interval", "1"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Timed out after 2s waiting for the deploy lock on ${host}, held by:`);
      expect(result.stderr).toContain("Locked by: Other Dev at 2026-01-01T00:00:00Z");
    } finally {
      await onHost(bed, host, `rm -r .kamal/lock-${SERVICE}`);
    }
    // Nothing changed: the running version still serves.
    expect((await get("/")).body).toContain('id="version">two<');
  });
});
