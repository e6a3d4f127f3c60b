/**
 * Canary releases from the CLI, end to end on two web hosts: `deploy --canary N` runs the new
 * version next to the main one and the proxies send it the clients whose `kamal-rollout` cookie
 * falls in the split; `rollout set` moves the split; `rollout promote` and `rollout stop` end it
 * under load without a failed request; a normal deploy refuses while a canary is out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { release, SECRETS, serviceYml } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const [h1, h2] = bed.hosts as [string, string];
const SERVICE = "canary";
let project: Project;
const versions: Record<string, string> = {};

async function sextant(args: string[]) {
  const result = await project.sextant(args);
  return { ...result, output: result.stdout + result.stderr };
}

/** The version label served to a client with this kamal-rollout cookie, through `host`'s proxy. */
async function servedTo(host: string, cookie: string): Promise<string> {
  const response = await fetch(`http://${host}/`, { headers: { cookie: `kamal-rollout=${cookie}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200) return `status ${response.status}`;
  return text.match(/id="version">([^<]+)</)?.[1] ?? text;
}

/**
 * `clients` clients, each with its own cookie, asking both hosts: the share on `label`, and the
 * clients that saw two different versions (a canary split is sticky per cookie).
 */
async function split(clients: number, label: string): Promise<{ share: number; unstable: number; failed: number }> {
  const ids = Array.from({ length: clients }, () => Math.random().toString(36).slice(2, 12));
  let on = 0;
  let unstable = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const [a, b] = await Promise.all([servedTo(h1, id), servedTo(h2, id)]);
      if (a.startsWith("status") || b.startsWith("status")) failed++;
      if (a !== b) unstable++;
      if (a === label) on++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { share: (100 * on) / clients, unstable, failed };
}

/** Requests with changing cookies until stopped; counts what was not a 200. */
function cookieLoad() {
  let stopped = false;
  let total = 0;
  let failed = 0;
  const worker = async (host: string) => {
    while (!stopped) {
      const label = await servedTo(host, Math.random().toString(36).slice(2)).catch(() => "status error");
      total++;
      if (label.startsWith("status")) failed++;
    }
  };
  const running = Promise.all([worker(h1), worker(h2), worker(h1), worker(h2)]);
  return {
    async stop() {
      stopped = true;
      await running;
      return { total, failed };
    },
  };
}

const running = async (host: string) => (await onHost(bed, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}' | sort`)).stdout.trim().split("\n").filter(Boolean);

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [h1, h2] } }),
    ".kamal/secrets": SECRETS,
  });
  versions.one = await release(project, SERVICE, "one");
  const setup = await sextant(["setup"]);
  expect(setup.code, setup.output).toBe(0);
}, 300_000);

afterAll(async () => {
  await project.sextant(["rollout", "stop"]).catch(() => undefined);
  await project.sextant(["remove", "-y"]).catch(() => undefined);
  project.cleanup();
}, 120_000);

describe("canary releases", () => {
  test("deploy --canary 30: the new version next to the main one, 30% of clients (±5) on it, each client sticky", async () => {
    versions.two = await release(project, SERVICE, "two");
    const result = await sextant(["deploy", "--canary", "30"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Canary ${versions.two} of ${SERVICE} gets 30% of requests`);
    for (const host of [h1, h2]) expect(await running(host)).toEqual([`${SERVICE}-web-${versions.one}`, `${SERVICE}-web-${versions.two}`].sort());
    const measured = await split(2000, "two");
    console.log(`canary at 30%: ${measured.share.toFixed(1)}% of 2000 clients on it`);
    expect(measured.failed).toBe(0);
    expect(measured.unstable).toBe(0);
    expect(Math.abs(measured.share - 30)).toBeLessThanOrEqual(5);
    // Without the cookie: the main version.
    expect(await (await fetch(`http://${h1}/`)).text()).toContain('id="version">one<');
  }, 240_000);

  test("rollout set 70 moves the split; status shows it; a normal deploy refuses while the canary is out", async () => {
    const set = await sextant(["rollout", "set", "70"]);
    expect(set.code, set.output).toBe(0);
    const measured = await split(2000, "two");
    console.log(`canary at 70%: ${measured.share.toFixed(1)}% of 2000 clients on it`);
    expect(measured.failed).toBe(0);
    expect(Math.abs(measured.share - 70)).toBeLessThanOrEqual(5);
    expect((await sextant(["rollout", "status"])).stdout).toContain(`Canary: ${versions.two} gets 70% of requests`);
    const details = await sextant(["app", "details"]);
    expect(details.stdout).toContain(`Canary: ${versions.two} gets 70% of requests`);
    expect(details.stdout).toContain(`${SERVICE}-web-${versions.two}`);
    const json = (await sextant(["app", "details", "--json"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(json.at(-1)).toMatchObject({ kind: "canary", version: versions.two, percent: 70 });
    const deploy = await sextant(["deploy", "-P"]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(`a canary of ${versions.two} is running at 70%, not starting a deploy`);
    expect(deploy.stderr).toContain("sextant rollout promote");
    expect(await (await fetch(`http://${h1}/`)).text()).toContain('id="version">one<');
  }, 120_000);

  test("rollout promote under load: no failed request, every client on the canary version, its extra containers gone", async () => {
    const load = cookieLoad();
    const result = await sextant(["rollout", "promote"]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    expect(stats.total).toBeGreaterThan(20);
    const measured = await split(200, "two");
    expect(measured.share).toBe(100);
    for (const host of [h1, h2]) expect(await running(host)).toEqual([`${SERVICE}-web-${versions.two}`]);
    expect((await sextant(["rollout", "status"])).stdout).toContain("No canary is running");
    const audit = (await sextant(["audit", "-q"])).stdout;
    expect(audit).toContain(`Booted canary version ${versions.two}`);
    expect(audit).toContain("Set the canary split to 70%");
  }, 240_000);

  test("rollout stop under load: no failed request, everyone back on the main version", async () => {
    versions.three = await release(project, SERVICE, "three");
    expect((await sextant(["deploy", "--canary", "50"])).code).toBe(0);
    expect((await split(200, "three")).share).toBeGreaterThan(20);
    const load = cookieLoad();
    const result = await sextant(["rollout", "stop"]);
    const stats = await load.stop();
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    expect((await split(200, "two")).share).toBe(100);
    for (const host of [h1, h2]) expect(await running(host)).toEqual([`${SERVICE}-web-${versions.two}`]);
  }, 240_000);
});
