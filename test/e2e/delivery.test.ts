/**
 * Registry-less delivery (`builder.delivery: ssh`) on three real servers, no registry configured:
 * setup, a deploy under load that sends only the changed layer, a rollback, and a transfer cut
 * half-way by dropping the SSH connection.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { page, registryYml, serviceYml, sextantInTerminal } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, repoRoot, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const [web1, web2, jobs1] = bed.hosts as [string, string, string];
const SERVICE = "delivery";
const RUN_DIR = process.env.TESTBED_RUN ?? `/run/sextant-testbed/${bed.name}`;

const deployYml = serviceYml(bed, { service: SERVICE, roles: { web: [web1, web2], jobs: [jobs1] }, workers: ["jobs"] })
  .replace(registryYml(bed), "")
  .replace("builder:\n  arch: amd64\n", "builder:\n  arch: amd64\n  delivery: ssh\n");

/** An incompressible asset in the same layer as the page, so a one-line page change moves a layer of known size. */
const ASSET = randomBytes(512 * 1024).toString("base64");

let project: Project;
const versions: string[] = [];

interface Transfer {
  host: string;
  bytes: number;
  layers: number;
  totalLayers: number;
  layerBytes: number;
  ms: number;
}

async function sextant(args: string[], env: Record<string, string> = {}) {
  const result = await project.sextant(args, { env });
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

function transfers(jsonLines: string): Transfer[] {
  return jsonLines
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string } & Transfer)
    .filter((e) => e.type === "transfer");
}

async function versionServed(host: string): Promise<string | undefined> {
  const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  const text = response?.ok ? await response.text() : "";
  return text.match(/id="version">([^<]+)</)?.[1];
}

async function release(label: string, asset = ASSET): Promise<string> {
  project.write("www/index.html", page(SERVICE, label));
  project.write("www/asset.txt", asset);
  const version = await project.commit(label);
  versions.push(version);
  return version;
}

/** Bytes received by a host's network interface, read in its network namespace (no SSH, so it is quick). */
async function rxBytes(host: string): Promise<number> {
  const ns = `/run/netns/${bed.name}-h${bed.hosts.indexOf(host) + 1}`;
  const line = (await run(["nsenter", `--net=${ns}`, "cat", "/proc/net/dev"])).stdout.split("\n").find((l) => l.trim().startsWith("eth0:"));
  return Number(line?.split(":")[1]?.trim().split(/\s+/)[0]);
}

/** Bytes this machine sent into the bed's bridge (host-to-host traffic is bridged and not counted). */
function bridgeTxBytes(): number {
  const line = readFileSync("/proc/net/dev", "utf8")
    .split("\n")
    .find((l) => l.trim().startsWith(`${bed.name}0:`));
  return Number(line?.split(":")[1]?.trim().split(/\s+/)[8]);
}

/** Layer sizes (bytes, bottom first) of an image in the builder engine: what an uncompressed layer tar holds. */
async function layerSizes(image: string): Promise<number[]> {
  const result = await run(["docker", "history", "--no-trunc", "--human=false", "--format", "{{.Size}}", image], { env: { DOCKER_HOST: bed.builderDockerHost } });
  return result.stdout
    .trim()
    .split("\n")
    .map(Number)
    .filter((n) => n > 0)
    .reverse();
}

async function taggedImages(host: string): Promise<string[]> {
  return (await onHost(bed, host, `docker images --format '{{.Repository}}:{{.Tag}}' e2e/${SERVICE}`)).stdout.trim().split("\n").filter(Boolean);
}

beforeAll(async () => {
  // Host 2's Docker keeps its data on a small disk of its own (for the disk-full case).
  const disk = await run([join(repoRoot, "scripts/testbed"), "disk", "2", "300"], { env: { TESTBED_NAME: bed.name, TESTBED_NET: process.env.TESTBED_NET ?? "" }, timeoutMs: 120_000 });
  expect(disk.code, disk.stderr).toBe(0);
  project = await makeProject(bed, { "config/deploy.yml": deployYml });
  await release("1");
});

afterAll(async () => {
  await run(["tc", "qdisc", "del", "dev", `${bed.name}v2`, "root"]).catch(() => undefined);
  await project?.sextant(["remove", "-y"]).catch(() => undefined);
  project?.cleanup();
}, 120_000);

describe("delivery over SSH without a registry", () => {
  test("config shows delivery: ssh and needs no registry section", async () => {
    const result = await sextant(["config"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/delivery: ssh/);
    expect(deployYml).not.toContain("registry:");
  });

  test("setup: every host gets the image over SSH and the app answers", async () => {
    const result = await sextant(["setup", "--json"]);
    expect(result.code, result.output).toBe(0);
    const sent = transfers(result.stdout);
    expect(sent.map((t) => t.host).sort()).toEqual([web1, web2, jobs1].sort());
    // The page's layer is new everywhere; the busybox layer only where no image has it yet.
    for (const t of sent) expect(t.layers).toBeGreaterThanOrEqual(1);
    expect(await versionServed(web1)).toBe("1");
    expect(await versionServed(web2)).toBe("1");
    expect(await taggedImages(jobs1)).toContain(`e2e/${SERVICE}:${versions[0]}`);
    const jobs = await onHost(bed, jobs1, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}'`);
    expect(jobs.stdout.trim()).toBe(`${SERVICE}-jobs-${versions[0]}`);
  }, 300_000);

  test("a one-line change: only the changed layer goes to each host, zero failed requests under load", async () => {
    const version = await release("2");
    const rxBefore = await rxBytes(jobs1);
    const load = continuousLoad([`http://${web1}/`, `http://${web2}/`]);
    const result = await sextant(["deploy", "--json"]);
    const stats = await load.stop();
    const rxDelta = (await rxBytes(jobs1)) - rxBefore;
    expect(result.code, result.output).toBe(0);
    expect(stats.failed, JSON.stringify(stats)).toBe(0);
    expect(stats.total).toBeGreaterThan(20);
    const [baseLayer, changedLayer] = (await layerSizes(`e2e/${SERVICE}:${version}`)) as [number, number];
    const sent = transfers(result.stdout);
    expect(sent.length).toBe(3);
    for (const t of sent) {
      expect(t.layers, JSON.stringify(t)).toBe(1);
      expect(t.totalLayers).toBe(2);
      expect(t.bytes, JSON.stringify(t)).toBeLessThanOrEqual(1.5 * changedLayer);
    }
    // Measured on the wire too: everything the jobs host received during the whole deploy (SSH
    // framing and every other command included) stays below the changed layer plus half the
    // unchanged one, so the unchanged busybox layer was not sent.
    expect(rxDelta).toBeLessThan(changedLayer + baseLayer / 2);
    console.log(
      `one-line change: changed layer ${changedLayer} B, unchanged ${baseLayer} B; sent per host ${sent.map((t) => `${t.host}=${t.bytes} B in ${t.ms.toFixed(0)} ms`).join(", ")}; jobs host received ${rxDelta} B in all`,
    );
    expect(await versionServed(web1)).toBe("2");
    expect(await versionServed(web2)).toBe("2");
  }, 300_000);

  test("rollback to the first version", async () => {
    const result = await sextant(["rollback", versions[0]!]);
    expect(result.code, result.output).toBe(0);
    expect(await versionServed(web1)).toBe("1");
    expect(await versionServed(web2)).toBe("1");
    const jobs = await onHost(bed, jobs1, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}'`);
    expect(jobs.stdout.trim()).toBe(`${SERVICE}-jobs-${versions[0]}`);
  }, 300_000);

  test("a transfer cut half-way: the old version keeps serving, no half image is tagged, the next deploy completes", async () => {
    // A big new layer, and host 2's link slowed, so the load is still running when the connection drops.
    const version = await release("3", randomBytes(12 * 1024 * 1024).toString("base64"));
    expect((await run(["tc", "qdisc", "add", "dev", `${bed.name}v2`, "root", "tbf", "rate", "16mbit", "burst", "64kb", "latency", "400ms"])).code).toBe(0);
    const ns = `${bed.name}-h2`;
    const sshdPid = readFileSync(join(RUN_DIR, "host2", "sshd.pid"), "utf8").trim();
    const rxStart = await rxBytes(web2);
    let cutAfter = -1;
    const killer = (async () => {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const pids = (await run(["pgrep", "-x", "-f", "docker load"])).stdout.trim().split("\n").filter(Boolean);
        for (const pid of pids) {
          if ((await run(["ip", "netns", "identify", pid])).stdout.trim() !== ns) continue;
          // Let about a third of the ~16 MB archive through, then drop every SSH session of host 2.
          while ((await rxBytes(web2)) - rxStart < 4 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(50);
          cutAfter = (await rxBytes(web2)) - rxStart;
          await run(["pkill", "-KILL", "-P", sshdPid]);
          return;
        }
        await Bun.sleep(20);
      }
    })();
    const load = continuousLoad([`http://${web1}/`]);
    // Every host straight from here (no peer hand-over), so host 2's own SSH stream is the one cut.
    const cut = await sextant(["deploy", "--json"], { SEXTANT_DELIVERY_PEERS: "0" });
    await load.stop();
    await killer;
    await run(["tc", "qdisc", "del", "dev", `${bed.name}v2`, "root"]);
    expect(cutAfter, "the load on host 2 was not seen").toBeGreaterThan(0);
    console.log(
      `transfer cut after ${cutAfter} B reached host 2; the deploy said:\n${cut.stdout
        .split("\n")
        .filter((l) => /"type":"(warn|host-failed)"/.test(l))
        .join("\n")}`,
    );
    const told = cut.stdout
      .split("\n")
      .filter((l) => /"type":"(warn|host-failed|transfer)"/.test(l))
      .join("\n");
    expect(cut.code, told).not.toBe(0);
    expect(cut.stdout).toContain(`"type":"host-failed","host":"${web2}"`);
    expect(cut.stdout).toMatch(/the transfer of e2e\/delivery:\w+ was cut after [\d.]+ MiB of [\d.]+ MiB/);
    // Nothing was booted: both web hosts still serve the version before.
    expect(await versionServed(web1)).toBe("1");
    expect(await versionServed(web2)).toBe("1");
    expect(await taggedImages(web2)).not.toContain(`e2e/${SERVICE}:${version}`);

    const next = await sextant(["deploy", "--json"]);
    expect(next.code, next.output).toBe(0);
    const sent = transfers(next.stdout).find((t) => t.host === web2);
    // Host 2 has only the base layer for sure: the changed layer is sent again, whole.
    expect(sent?.layers).toBe(1);
    expect(await versionServed(web1)).toBe("3");
    expect(await versionServed(web2)).toBe("3");
    expect(await taggedImages(web2)).toContain(`e2e/${SERVICE}:${version}`);
  }, 300_000);

  test("several hosts lacking the same big layer: it crosses the deployer's link once, the servers pass it on", async () => {
    const version = await release("4", randomBytes(6 * 1024 * 1024).toString("base64"));
    const before = bridgeTxBytes();
    const result = await sextant(["deploy", "--json"]);
    const uplink = bridgeTxBytes() - before;
    expect(result.code, result.output).toBe(0);
    const sent = transfers(result.stdout) as (Transfer & { from?: string })[];
    const direct = sent.filter((t) => t.from === undefined);
    const viaPeer = sent.filter((t) => t.from !== undefined);
    expect(direct.length, JSON.stringify(sent)).toBe(1);
    expect(viaPeer.map((t) => t.host).sort()).toEqual([web1, web2, jobs1].filter((h) => h !== direct[0]!.host).sort());
    for (const t of viaPeer) expect(t.from).toBe(direct[0]!.host);
    // Everything that left this machine for the bed during the deploy: one archive and the commands.
    console.log(`peer hand-over: archive ${direct[0]!.bytes} B, seed ${direct[0]!.host}; bytes out of this machine during the deploy ${uplink}`);
    expect(uplink).toBeLessThan(1.3 * direct[0]!.bytes);
    for (const host of [web1, web2]) expect(await versionServed(host)).toBe("4");
    expect(await taggedImages(jobs1)).toContain(`e2e/${SERVICE}:${version}`);
  }, 300_000);

  test("host 2's disk full while loading: that host fails clearly, the old version keeps serving, the next deploy completes", async () => {
    await release("5", randomBytes(3 * 1024 * 1024).toString("base64"));
    const root = (await onHost(bed, web2, "docker info --format '{{.DockerRootDir}}'")).stdout.trim();
    // Leave less room than the new layer needs.
    const fill = await onHost(bed, web2, `fallocate -l $(( $(df --output=avail -k ${root} | tail -1) - 1024 ))K ${root}/filler`);
    expect(fill.code, fill.stderr).toBe(0);
    try {
      const result = await sextant(["deploy"]);
      expect(result.code, result.output).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`${web2.replaceAll(".", "\\.")}: the disk is full: loading e2e/${SERVICE}:\\w+ failed with "no space left on device" \\(${root}: `));
      expect(result.stderr).toContain("The running version is still serving");
      expect(result.stderr).not.toContain("This looks like a bug");
      expect(await versionServed(web1)).toBe("4");
      expect(await versionServed(web2)).toBe("4");
    } finally {
      await onHost(bed, web2, `rm -f ${root}/filler`);
    }
    const again = await sextant(["deploy"]);
    expect(again.code, again.output).toBe(0);
    expect(await versionServed(web2)).toBe("5");
  }, 300_000);

  test("on a terminal the transfer shows a progress bar, then a line per host", async () => {
    // Each host straight from here, so every host's stream draws the bar.
    project.env.SEXTANT_DELIVERY_PEERS = "0";
    await release("6", randomBytes(6 * 1024 * 1024).toString("base64"));
    const result = await sextantInTerminal(project, ["deploy"]);
    delete project.env.SEXTANT_DELIVERY_PEERS;
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/↑ 10\.203\.\d+\.\d+ [█░]{10} \d+% [\d.]+\/[\d.]+ MiB/);
    expect(result.stdout).toMatch(/↑ 10\.203\.\d+\.\d+ +sent [\d.]+ MiB, 1 of 2 layers/);
    expect(await versionServed(web1)).toBe("6");
  }, 300_000);
});
