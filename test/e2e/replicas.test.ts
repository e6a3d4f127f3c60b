/**
 * Several containers of one role per host (`replicas: 3` on two hosts), end to end: a deploy under
 * load switches all replicas with no failed request, the proxy balances over them, rollback, app
 * stop/start, logs of every replica, and remove understand them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const [h1, h2] = bed.hosts as [string, string];
const SERVICE = "replicas";
let project: Project;
const versions: string[] = [];

const running = async (host: string) => (await onHost(bed, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}' | sort`)).stdout.trim().split("\n").filter(Boolean);

const names = (version: string) => [`${SERVICE}-web-${version}`, `${SERVICE}-web-${version}_replica_2`, `${SERVICE}-web-${version}_replica_3`];

async function sextant(args: string[]) {
  const result = await project.sextant(args);
  return { ...result, output: result.stdout + result.stderr };
}

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [h1, h2] } }).replace(
      `  web:\n    hosts:\n      - ${h1}\n      - ${h2}\n`,
      `  web:\n    replicas: 3\n    hosts:\n      - ${h1}\n      - ${h2}\n`,
    ),
    ".kamal/secrets": SECRETS,
  });
  versions.push(await release(project, SERVICE, "one"));
  const setup = await sextant(["setup"]);
  expect(setup.code, setup.output).toBe(0);
}, 300_000);

afterAll(async () => {
  await project.sextant(["remove", "-y"]).catch(() => undefined);
  project.cleanup();
}, 120_000);

describe("replicas", () => {
  test("setup runs three replicas on each host, all behind the proxy", async () => {
    for (const host of [h1, h2]) expect(await running(host)).toEqual(names(versions[0]!).sort());
    expect(await served(h1)).toBe("one");
  });

  test("deploy under load: no failed request, three new replicas per host, the old ones stopped", async () => {
    versions.push(await release(project, SERVICE, "two"));
    const load = continuousLoad([`http://${h1}/`, `http://${h2}/`], { workers: 4 });
    const result = await sextant(["deploy"]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    expect(stats.total).toBeGreaterThan(20);
    for (const host of [h1, h2]) expect(await running(host)).toEqual(names(versions[1]!).sort());
    expect(await served(h2)).toBe("two");
  }, 240_000);

  test("the proxy spreads requests over the replicas", async () => {
    for (let i = 0; i < 30; i++) await fetch(`http://${h1}/?spread=${i}`).then((r) => r.arrayBuffer());
    // The proxy's request log names the target of each request: all three replicas answered.
    const logs = (await sextant(["proxy", "logs", "-h", h1, "--grep", "spread=", "-n", "200"])).stdout;
    const targets = new Set([...logs.matchAll(/"target":"([0-9a-f]{12}):80"/g)].map((m) => m[1]));
    expect(targets.size).toBe(3);
  });

  test("app logs show every replica; app version reads through the suffix", async () => {
    const logs = await sextant(["app", "logs", "-h", h1, "-n", "1"]);
    expect(logs.code, logs.output).toBe(0);
    for (const c of names(versions[1]!)) expect(logs.stdout).toContain(`== ${c}`);
    expect((await sextant(["app", "version", "-h", h1])).stdout).toContain(versions[1]!);
  });

  test("rollback under load brings back three replicas of the earlier version", async () => {
    const load = continuousLoad([`http://${h1}/`, `http://${h2}/`], { workers: 4 });
    const result = await sextant(["rollback", versions[0]!]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    for (const host of [h1, h2]) expect(await running(host)).toEqual(names(versions[0]!).sort());
    expect(await served(h1)).toBe("one");
  }, 240_000);

  test("app stop stops every replica; app start starts them all again behind the proxy", async () => {
    expect((await sextant(["app", "stop", "-h", h2])).code).toBe(0);
    expect(await running(h2)).toEqual([]);
    const start = await sextant(["app", "start", "-h", h2, "--version", versions[0]!]);
    expect(start.code, start.output).toBe(0);
    expect(await running(h2)).toEqual(names(versions[0]!).sort());
    expect(await served(h2)).toBe("one");
  }, 120_000);
});
