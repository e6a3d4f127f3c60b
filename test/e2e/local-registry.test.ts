/**
 * Kamal 2's local registry (`registry.server: localhost:PORT`), end to end and without the bed's
 * shared registry: sextant starts a registry container on the deployer's Docker (the builder
 * engine), pushes the app image to it, and the server pulls through an SSH reverse port forward
 * that exists only during the pull.
 *
 * `registry:3` cannot be pulled here, so the test builds a registry image FROM scratch out of
 * Debian's docker-registry binary (and the C library it links) and names it with
 * SEXTANT_LOCAL_REGISTRY_IMAGE. sextant runs in the builder's network namespace, because the
 * deployer's Docker must share its loopback with sextant, as on a laptop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SSH_YML } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { builderEnv, onHost, run, runOk, sextantBinary, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[2] ?? bed.hosts[0]!;
const SERVICE = "locreg";
const PORT = 5557;
const REGISTRY_IMAGE = "sextant-test/registry:local";

/** A registry image FROM scratch: Debian's docker-registry, the libraries ldd names, a config without auth. */
async function buildRegistryImage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sextant-registry-"));
  try {
    const ldd = await runOk(["ldd", "/usr/bin/docker-registry"]);
    const libraries = [...ldd.stdout.matchAll(/(\/\S+)/g)].map((m) => m[1]!);
    for (const lib of libraries) {
      mkdirSync(join(dir, "root", dirname(lib)), { recursive: true });
      copyFileSync(lib, join(dir, "root", lib));
    }
    mkdirSync(join(dir, "root/bin"), { recursive: true });
    copyFileSync("/usr/bin/docker-registry", join(dir, "root/bin/registry"));
    mkdirSync(join(dir, "root/etc/docker/registry"), { recursive: true });
    mkdirSync(join(dir, "root/var/lib/registry"), { recursive: true });
    mkdirSync(join(dir, "root/tmp"), { recursive: true });
    writeFileSync(join(dir, "root/etc/docker/registry/config.yml"), "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\nhttp:\n  addr: :5000\n");
    writeFileSync(join(dir, "Dockerfile"), 'FROM scratch\nCOPY root/ /\nEXPOSE 5000\nCMD ["/bin/registry", "serve", "/etc/docker/registry/config.yml"]\n');
    await runOk(["docker", "build", "-q", "-t", REGISTRY_IMAGE, dir], { env: builderEnv(bed) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const deployYml = `
service: ${SERVICE}
servers:
  web:
    hosts:
      - ${host}
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
registry:
  server: localhost:${PORT}
builder:
  arch: amd64
${SSH_YML}deploy_timeout: 10
drain_timeout: 1
`;

let project: Project;

/** sextant in the builder's network namespace (where the deployer's Docker is). */
async function sextant(args: string[]) {
  const result = await run(["nsenter", `--net=/run/netns/${bed.name}-b`, sextantBinary(), ...args], {
    cwd: project.dir,
    env: { ...project.env, SEXTANT_LOCAL_REGISTRY_IMAGE: REGISTRY_IMAGE },
    timeoutMs: 150_000,
  });
  return { ...result, output: result.stdout + result.stderr };
}

async function served(): Promise<string> {
  const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return response?.ok ? await response.text() : "";
}

async function tunnelOpen(): Promise<boolean> {
  const probe = await onHost(bed, host, `bash -c 'echo > /dev/tcp/127.0.0.1/${PORT}' 2>/dev/null && echo open || echo closed`);
  return probe.stdout.trim() === "open";
}

beforeAll(async () => {
  await buildRegistryImage();
  await run(["docker", "rm", "-f", "kamal-docker-registry"], { env: builderEnv(bed) });
  project = await makeProject(bed, { "config/deploy.yml": deployYml, ".kamal/secrets": "" });
}, 120_000);

afterAll(async () => {
  if (project) {
    await sextant(["remove", "-y"]);
    project.cleanup();
  }
  await run(["docker", "rm", "-f", "kamal-docker-registry"], { env: builderEnv(bed) });
  await run(["docker", "image", "rm", "-f", REGISTRY_IMAGE], { env: builderEnv(bed) });
}, 90_000);

describe("local registry", () => {
  test("setup starts the registry locally and the server pulls through a reverse tunnel", async () => {
    const result = await sextant(["setup"]);
    expect(result.output).not.toContain("docker login");
    expect(result.code).toBe(0);
    expect(await served()).toContain("Hello from sextant");
    const registry = await runOk(["docker", "ps", "--filter", "name=^kamal-docker-registry$", "--format", "{{.Image}} {{.Ports}}"], { env: builderEnv(bed) });
    expect(registry.stdout.trim()).toBe(`${REGISTRY_IMAGE} 127.0.0.1:${PORT}->5000/tcp`);
    const images = await onHost(bed, host, `docker image ls localhost:${PORT}/${SERVICE} --format '{{.Repository}}' | sort -u; cat ~/.docker/config.json 2>/dev/null | grep -c localhost:${PORT} || true`);
    expect(images.stdout.trim().split("\n")).toEqual([`localhost:${PORT}/${SERVICE}`, "0"]);
    // The tunnel was there only while pulling.
    expect(await tunnelOpen()).toBe(false);
  }, 180_000);

  test("a new version goes the same way", async () => {
    project.write("www/index.html", "hello again from the local registry\n");
    await project.commit("v2");
    const result = await sextant(["deploy"]);
    expect(result.code).toBe(0);
    expect(await served()).toBe("hello again from the local registry\n");
    expect(await tunnelOpen()).toBe(false);
  }, 150_000);

  test("with the local registry down, a pull fails clearly and the app keeps serving", async () => {
    await runOk(["docker", "stop", "kamal-docker-registry"], { env: builderEnv(bed) });
    const result = await sextant(["deploy", "-P"]);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`the local registry does not answer on 127.0.0.1:${PORT}`);
    expect(await served()).toBe("hello again from the local registry\n");
    const login = await sextant(["registry", "login"]);
    expect(login.code).toBe(1);
    expect(login.output).toContain("Cannot use login command with a local registry. Use `sextant registry setup` instead.");
    const setup = await sextant(["registry", "setup"]);
    expect(setup.code).toBe(0);
    const pull = await sextant(["build", "pull"]);
    expect(pull.code).toBe(0);
  }, 120_000);

  test("registry remove removes the local registry container", async () => {
    const result = await sextant(["registry", "remove"]);
    expect(result.code).toBe(0);
    const left = await runOk(["docker", "ps", "-a", "--filter", "name=^kamal-docker-registry$", "-q"], { env: builderEnv(bed) });
    expect(left.stdout.trim()).toBe("");
  }, 60_000);
});
