/**
 * The proxy image for servers whatever runs the CLI. The CLI runs from source under Bun (not a
 * Linux executable of its own), so it must take the release archive: served here by a plain HTTP
 * server on the bed's bridge, downloaded once, checked against the manifest's sha256. Several bare
 * hosts get it from this machine once, the first host passing it to the others. A tampered archive
 * is refused and nothing is loaded.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryDigest } from "../../src/proxy-image/build.ts";
import { ok, release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { makeReleaseDir, PROXY_IMAGE, serveDirectory } from "../support/release.ts";
import { onHost, repoRoot, run, sextantBinary, testbed } from "../support/testbed.ts";

const bed = testbed();
const hosts = bed.hosts.slice(0, 3);
const bridge = bed.registry.split(":")[0]!;
let releaseDir: string;
let server: ReturnType<typeof serveDirectory>;
let project: Project;
const scratch = mkdtempSync(join(tmpdir(), "sextant-pimg-test-"));

/** `bun src/main.ts ARGS` in the project: the CLI from source, with its own empty cache. */
function fromSource(args: string[], env: Record<string, string>) {
  return run(["bun", join(repoRoot, "src/main.ts"), ...args], { cwd: project.dir, env: { ...project.env, ...env }, timeoutMs: 300_000 });
}

async function imageDigest(host: string): Promise<string> {
  const r = await onHost(bed, host, `docker image inspect ${PROXY_IMAGE} --format '{{index .Config.Labels "dev.sextant.binary-digest"}}' 2>/dev/null || echo absent`);
  return r.stdout.trim();
}

/** Make hosts bare as far as the proxy goes: no proxy container, no proxy image. */
async function bare(on: string[]) {
  for (const host of on) {
    await onHost(bed, host, `docker rm -f kamal-proxy >/dev/null 2>&1; docker rmi -f ${PROXY_IMAGE} >/dev/null 2>&1; true`);
  }
}

beforeAll(async () => {
  releaseDir = await makeReleaseDir(sextantBinary());
  server = serveDirectory(releaseDir, bridge);
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: "pimg", roles: { web: hosts } }),
    ".kamal/secrets": SECRETS,
  });
  await release(project, "pimg", "1");
  await bare(hosts);
}, 120_000);

afterAll(async () => {
  await project?.sextant(["remove", "-y"]);
  project?.cleanup();
  server?.stop();
  rmSync(releaseDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe("the proxy image when the CLI is not a Linux executable", () => {
  test("setup from source loads the release archive once; the first host passes it to the others", async () => {
    const imageFile = readdirImage();
    // What earlier tests on this bed may have left (a transfer they cut on purpose) is not this run's.
    const LEFTOVERS = "docker ps -aq --filter name=sextant-proxy-image-share; ls /tmp | grep -E '^sextant-proxy-image-[0-9a-f]{32}$' || true";
    const before = new Map<string, string>();
    for (const host of hosts) before.set(host, (await onHost(bed, host, LEFTOVERS)).stdout.trim());
    const result = ok(await fromSource(["setup"], { SEXTANT_RELEASE_URL: server.url, XDG_CACHE_HOME: join(scratch, "cache-ok") }));
    const output = result.stdout + result.stderr;
    expect(output).toContain(`Downloading the proxy image for amd64`);
    // Sent from this machine to one host only; the others fetched it from that host.
    expect(output.match(/Loading the proxy image .* on /g)?.length).toBe(1);
    expect(output).toContain(`Passing the proxy image from ${hostsInOutput(output)}`);
    expect(output).not.toContain("sending it from here");
    // Downloaded from the release once.
    expect(server.sent.get(imageFile)).toBe(statSize(imageFile));
    const wanted = await binaryDigest(sextantBinary(), join(scratch, "digest"));
    for (const host of hosts) {
      expect(await imageDigest(host)).toBe(wanted);
      expect(await served(host)).toBe("1");
      // No share container or archive file is left behind.
      const leftovers = await onHost(bed, host, LEFTOVERS);
      expect(leftovers.stdout.trim()).toBe(before.get(host)!);
    }
  }, 300_000);

  // The app set up above, listed for scripts: every line (or the document) parses.
  test("--json of the listing commands", async () => {
    const lines = async (args: string[]) => {
      const r = ok(await project.sextant(args));
      expect(r.stderr).toBe("");
      return r.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
    };
    const containers = await lines(["app", "containers", "--json"]);
    expect(new Set(containers.map((c) => c.host))).toEqual(new Set(hosts));
    for (const c of containers) expect(c).toMatchObject({ kind: "app", Names: expect.stringMatching(/^pimg-web-/) });
    const images = await lines(["app", "images", "--json"]);
    expect(images.length).toBeGreaterThanOrEqual(hosts.length);
    for (const i of images) expect(i.Repository).toBe(`${bed.registry}/e2e/pimg`);
    const details = await lines(["details", "--json"]);
    expect(
      details
        .filter((d) => d.kind === "proxy")
        .map((d) => d.host)
        .sort(),
    ).toEqual([...hosts].sort());
    expect(details.filter((d) => d.kind === "app" && d.State === "running").length).toBe(hosts.length);
    expect(await lines(["lock", "status", "--json"])).toEqual([{ locked: false }]);
    ok(await project.sextant(["lock", "acquire", "-m", "json check"]));
    try {
      const [held] = await lines(["lock", "status", "--json"]);
      expect(held).toMatchObject({ locked: true, message: "json check" });
    } finally {
      ok(await project.sextant(["lock", "release"]));
    }
    const config = JSON.parse(ok(await project.sextant(["config", "--json"])).stdout);
    expect(config.service_with_version).toMatch(/^pimg-/);
    expect(config.hosts).toEqual(hosts);
  }, 120_000);

  test("a second run reuses the cached archive and finds the image present", async () => {
    const before = server.sent.size;
    const sentBefore = [...server.sent.values()].reduce((a, b) => a + b, 0);
    const result = ok(await fromSource(["proxy", "reboot", "-y"], { SEXTANT_RELEASE_URL: server.url, XDG_CACHE_HOME: join(scratch, "cache-ok") }));
    expect(result.stdout + result.stderr).not.toContain("Loading the proxy image");
    expect(server.sent.size).toBe(before);
    expect([...server.sent.values()].reduce((a, b) => a + b, 0)).toBe(sentBefore);
  }, 120_000);

  test("a tampered archive is refused with a clear error, and nothing is loaded", async () => {
    const tampered = join(scratch, "tampered");
    cpSync(releaseDir, tampered, { recursive: true });
    const imageFile = readdirImage();
    const bytes = readFileSync(join(tampered, imageFile));
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(join(tampered, imageFile), bytes);
    const evil = serveDirectory(tampered, bridge);
    try {
      await bare([hosts[0]!]);
      const result = await fromSource(["proxy", "reboot", "-y", "-h", hosts[0]!], { SEXTANT_RELEASE_URL: evil.url, XDG_CACHE_HOME: join(scratch, "cache-evil") });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("does not match its sha256");
      expect(result.stderr).toContain("nothing was loaded");
      expect(result.stderr).not.toContain("    at ");
      expect(await imageDigest(hosts[0]!)).toBe("absent");
    } finally {
      evil.stop();
    }
  }, 120_000);

  test("no release reachable: the error names the options", async () => {
    await bare([hosts[0]!]);
    const result = await fromSource(["proxy", "reboot", "-y", "-h", hosts[0]!], { SEXTANT_RELEASE_URL: join(scratch, "nowhere"), XDG_CACHE_HOME: join(scratch, "cache-none") });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot get the proxy image for ${hosts[0]} is linux/amd64`);
    expect(result.stderr).toContain("SEXTANT_RELEASE_URL");
    expect(result.stderr).toContain("SEXTANT_PROXY_BINARY");
    expect(result.stderr).toContain("proxy.run.image");
    // Put the proxy back for the app's removal in afterAll.
    ok(await fromSource(["proxy", "reboot", "-y", "-h", hosts[0]!], { SEXTANT_RELEASE_URL: server.url, XDG_CACHE_HOME: join(scratch, "cache-ok") }));
  }, 120_000);
});

function readdirImage(): string {
  const manifest = JSON.parse(readFileSync(join(releaseDir, "manifest.json"), "utf8"));
  return manifest.proxyImages[0].file;
}

function statSize(file: string): number {
  return readFileSync(join(releaseDir, file)).length;
}

/** The host named in the "Passing ... from HOST" line (whichever host got it first). */
function hostsInOutput(output: string): string {
  return output.match(/Passing the proxy image from (\S+)/)?.[1] ?? "(none)";
}
