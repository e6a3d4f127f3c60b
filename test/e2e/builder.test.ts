/**
 * Builders end to end, with what this machine has: no buildx plugin, so remote builds run Docker's
 * classic builder on a server's engine over SSH, and local builds the builder engine's classic
 * builder. Covered: a deploy built remotely (the image never touches the local engine), `build dev`
 * with dockerfile/target/args/context, `build details`, and the error paths (unreachable remote,
 * build secrets and other arches without buildx, a broken Dockerfile), each leaving the running app
 * as it was. Multi-arch, cache export and build secrets need buildx (and emulation) and are not run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registryYml, SSH_YML } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { builderEnv, onHost, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const [web, builderHost] = bed.hosts as [string, string];
const SERVICE = "rbuild";
const IMAGE = `${bed.registry}/e2e/rbuild`;

function deployYml(builder: string): string {
  return `
service: ${SERVICE}
image: e2e/rbuild
servers:
  web:
    hosts:
      - ${web}
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
${registryYml(bed)}builder:
${builder}
${SSH_YML}deploy_timeout: 10
drain_timeout: 1
`;
}

const REMOTE = `  arch: amd64\n  remote: ssh://root@${builderHost}\n  local: false`;

let project: Project;

async function sextant(args: string[]) {
  const result = await project.sextant(args, { timeoutMs: 150_000 });
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

async function served(): Promise<string> {
  const response = await fetch(`http://${web}/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return response?.ok ? await response.text() : "";
}

async function configure(builder: string, message: string): Promise<string> {
  project.write("config/deploy.yml", deployYml(builder));
  return project.commit(message);
}

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": deployYml(REMOTE),
    ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\n",
    "www/index.html": "built remotely\n",
  });
}, 60_000);

afterAll(async () => {
  if (project) {
    await project.sextant(["remove", "-y"], { timeoutMs: 60_000 });
    project.cleanup();
  }
  await onHost(bed, builderHost, `docker image ls ${IMAGE} -q | sort -u | xargs -r docker image rm -f >/dev/null 2>&1; true`);
  await run(["sh", "-c", `docker image ls ${IMAGE} -q | sort -u | xargs -r docker image rm -f`], { env: builderEnv(bed) });
}, 90_000);

describe("builders", () => {
  test("a remote builder over SSH builds on the server's engine; the deploy serves it", async () => {
    const version = (await run(["git", "rev-parse", "HEAD"], { cwd: project.dir })).stdout.trim();
    const details = await sextant(["build", "details"]);
    expect(details.stdout).toContain("Builder: remote");
    const result = await sextant(["deploy"]);
    expect(result.output).toContain(`Building on root@${builderHost}`);
    expect(result.code).toBe(0);
    expect(await served()).toBe("built remotely\n");
    const onBuilderHost = await onHost(bed, builderHost, `docker image inspect ${IMAGE}:${version} --format '{{index .Config.Labels "service"}}'`);
    expect(onBuilderHost.stdout.trim()).toBe(SERVICE);
    const local = await run(["docker", "image", "inspect", `${IMAGE}:${version}`], { env: builderEnv(bed) });
    expect(local.code).not.toBe(0);
  }, 180_000);

  test("registry logout and login on the servers", async () => {
    const authed = async () => (await onHost(bed, web, `grep -c '${bed.registry}' ~/.docker/config.json 2>/dev/null || true`)).stdout.trim();
    const logout = await sextant(["registry", "logout", "-L"]);
    expect(logout.code).toBe(0);
    expect(await authed()).toBe("0");
    const login = await sextant(["registry", "login", "-L"]);
    expect(login.code).toBe(0);
    expect(await authed()).toBe("1");
  }, 60_000);

  test("build dev: working directory, dockerfile, target, args; tagged VERSION-dirty", async () => {
    project.write(
      "Dockerfile.custom",
      [
        "FROM scratch AS base",
        "COPY busybox /bin/busybox",
        "ARG GREETING=none",
        'RUN ["/bin/busybox", "sh", "-c", "echo $GREETING > /greeting"]',
        "FROM base AS final",
        'CMD ["/bin/busybox", "cat", "/greeting"]',
        "FROM base AS other",
        'CMD ["/bin/busybox", "echo", "wrong target"]',
        "",
      ].join("\n"),
    );
    const version = await configure(`  arch: amd64\n  dockerfile: Dockerfile.custom\n  target: final\n  context: .\n  args:\n    GREETING: bonjour\n  cache:\n    type: registry`, "custom dockerfile");
    project.write("uncommitted.txt", "x\n");
    const result = await sextant(["build", "dev"]);
    expect(result.code).toBe(0);
    expect(result.output).toContain("Building with uncommitted changes");
    expect(result.output).toContain("Without buildx, builder cache (registry) is not applied");
    // builder.context is set, so the version carries the uncommitted marker.
    const tags = await run(["docker", "image", "ls", IMAGE, "--format", "{{.Tag}}"], { env: builderEnv(bed) });
    const dirty = tags.stdout
      .trim()
      .split("\n")
      .filter((t) => t.endsWith("-dirty"));
    expect(dirty).toContain("latest-dirty");
    expect(dirty.some((t) => t.startsWith(version))).toBe(true);
    const ran = await run(["docker", "run", "--rm", `${IMAGE}:latest-dirty`], { env: builderEnv(bed) });
    expect(ran.stdout.trim()).toBe("bonjour");
  }, 120_000);

  test("errors are clear and leave the running app alone", async () => {
    // An unreachable remote builder.
    await configure(`  arch: amd64\n  remote: ssh://root@${builderHost}:2222\n  local: false`, "bad remote");
    const unreachable = await sextant(["deploy"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toContain(`cannot reach the remote builder root@${builderHost}:2222`);
    // Build secrets and other arches need buildx.
    await configure(`  arch: amd64\n  secrets:\n    - KAMAL_REGISTRY_PASSWORD`, "secrets");
    const secrets = await sextant(["build", "push"]);
    expect(secrets.code).toBe(1);
    expect(secrets.output).toContain("builder.secrets need BuildKit");
    await configure(`  arch: amd64\n  ssh: default`, "ssh");
    const ssh = await sextant(["build", "push"]);
    expect(ssh.code).toBe(1);
    expect(ssh.output).toContain("builder.ssh needs BuildKit");
    await configure(`  arch: arm64`, "arm");
    const arm = await sextant(["build", "push"]);
    expect(arm.code).toBe(1);
    expect(arm.output).toContain("Docker buildx plugin is not installed locally");
    // A Dockerfile that does not build, remotely.
    project.write("Dockerfile", "FROM scratch\nCOPY missing-file /x\n");
    await configure(REMOTE, "broken dockerfile");
    const broken = await sextant(["deploy"]);
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(/missing-file/);
    expect(await served()).toBe("built remotely\n");
  }, 150_000);
});
