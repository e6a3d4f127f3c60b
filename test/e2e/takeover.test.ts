/**
 * Taking over a server that Kamal 2 deployed to: the server is prepared with the exact commands
 * Kamal runs (its kamal-proxy container from the boot files' defaults, `basecamp/kamal-proxy:v0.9.2`,
 * the app container with Kamal's name, labels, env file and audit line, the route made by
 * `kamal-proxy deploy`, the image tagged latest). sextant then deploys to it under load, rolls back
 * to Kamal's release, and removes everything, without a manual step.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proxyImageArchive } from "../../src/proxy-image/build.ts";
import { sharedLibraries } from "../../src/proxy-image/libraries.ts";
import { SEXTANT_VERSION } from "../../src/version.ts";
import { buildAndPush } from "../support/images.ts";
import { isolateCache, ok, page, release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { continuousLoad, makeProject, type Project } from "../support/project.ts";
import { onHost, run, sextantBinary, sshArgv, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[0]!;
const SERVICE = "legacy";
const KAMAL_VERSION = "kamal-v1";
const image = `${bed.registry}/e2e/${SERVICE}`;
let project: Project;
let sextantVersion: string;

async function must(command: string): Promise<string> {
  const r = await onHost(bed, host, command, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${command}\nexited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** The kamal-proxy image a Kamal server has: here the proxy that speaks kamal-proxy, under Kamal's default name. */
async function loadKamalProxyImage(): Promise<void> {
  const cache = mkdtempSync(join(tmpdir(), "sx-takeover-"));
  try {
    const binary = sextantBinary();
    const { path, spec } = await proxyImageArchive({ binary, libraries: sharedLibraries(binary), repository: "basecamp/kamal-proxy", sextantVersion: SEXTANT_VERSION, arch: "amd64" }, cache);
    const ssh = sshArgv(bed, host, "docker load -q")
      .map((a) => `'${a}'`)
      .join(" ");
    const loaded = await run(["sh", "-c", `${ssh} < '${path}'`], { timeoutMs: 120_000 });
    if (loaded.code !== 0) throw new Error(`docker load failed: ${loaded.stderr}`);
    await must(`docker tag ${spec.tag} basecamp/kamal-proxy:v0.9.2 && docker rmi ${spec.tag}`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** What `kamal setup` leaves on a server, command for command (Kamal 2.x, no destination). */
async function prepareAsKamal(): Promise<void> {
  await buildAndPush(bed, `e2e/${SERVICE}`, KAMAL_VERSION, {
    files: { "index.html": page(SERVICE, "kamal"), up: "ok\n" },
    extraDockerfile: `LABEL service="${SERVICE}"`,
  });
  await loadKamalProxyImage();
  await must(`docker login ${bed.registry} -u ${bed.registryUser} -p ${bed.registryPassword}`);
  await must("mkdir -p .kamal");
  await must("docker network create kamal 2>/dev/null || docker network inspect kamal >/dev/null");
  await must("mkdir -p .kamal/proxy/apps-config");
  await must(
    `docker container start kamal-proxy || echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config`,
  );
  await must(`echo "[2026-01-01T00:00:00Z] [ops@example.com] Pulled image with version ${KAMAL_VERSION}" >> .kamal/${SERVICE}-audit.log`);
  await must(`docker pull ${image}:${KAMAL_VERSION}`);
  await must(`docker inspect -f '{{ .Config.Labels.service }}' ${image}:${KAMAL_VERSION} | grep -x ${SERVICE}`);
  await must(`mkdir -p .kamal/apps/${SERVICE}/env/roles && printf 'LEGACY_SECRET=from-kamal\\n' > .kamal/apps/${SERVICE}/env/roles/web.env && chmod 600 .kamal/apps/${SERVICE}/env/roles/web.env`);
  await must(`echo "[2026-01-01T00:00:01Z] [ops@example.com] [web] Booted app version ${KAMAL_VERSION}" >> .kamal/${SERVICE}-audit.log`);
  await must(
    `docker run --detach --restart unless-stopped --name ${SERVICE}-web-${KAMAL_VERSION} --network kamal --hostname host1-0123456789ab --env KAMAL_CONTAINER_NAME="${SERVICE}-web-${KAMAL_VERSION}" --env KAMAL_VERSION="${KAMAL_VERSION}" --env KAMAL_HOST="${host}" --env-file .kamal/apps/${SERVICE}/env/roles/web.env --log-opt max-size="10m" --label service="${SERVICE}" --label role="web" --label destination ${image}:${KAMAL_VERSION}`,
  );
  const id = await must(`docker container ls --all --filter 'name=^${SERVICE}-web-${KAMAL_VERSION}$' --quiet`);
  await must(
    `docker exec kamal-proxy kamal-proxy deploy ${SERVICE}-web --target="${id}:80" --deploy-timeout="30s" --drain-timeout="30s" --health-check-interval="1s" --health-check-path="/up" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"`,
  );
  await must(`docker tag ${image}:${KAMAL_VERSION} ${image}:latest`);
}

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [host] } }),
    ".kamal/secrets": SECRETS,
  });
  isolateCache(project, bed);
  await prepareAsKamal();
  sextantVersion = await release(project, SERVICE, "sextant");
}, 240_000);

afterAll(async () => {
  await project.sextant(["remove", "-y"]);
  await onHost(bed, host, `docker rmi -f basecamp/kamal-proxy:v0.9.2 2>/dev/null; docker rm -f ${SERVICE}-web-${KAMAL_VERSION} 2>/dev/null; rm -rf .kamal/apps/${SERVICE} .kamal/${SERVICE}-audit.log`);
  project?.cleanup();
}, 120_000);

describe("taking over a Kamal server", () => {
  test("the server serves Kamal's release to begin with", async () => {
    expect(await served(host)).toBe("kamal");
    const containers = ok(await project.sextant(["app", "containers"])).stdout;
    expect(containers).toContain(`${SERVICE}-web-${KAMAL_VERSION}`);
    expect(ok(await project.sextant(["app", "version"])).stdout).toContain(KAMAL_VERSION);
  });

  test("a kamal-proxy older than v0.9.2 stops the deploy with Kamal's message, the app still served", async () => {
    // A server whose kamal-proxy container is v0.8.0: the real one keeps serving under another name.
    await must("docker tag basecamp/kamal-proxy:v0.9.2 basecamp/kamal-proxy:v0.8.0 && docker rename kamal-proxy kamal-proxy-real && docker create --name kamal-proxy basecamp/kamal-proxy:v0.8.0 >/dev/null");
    try {
      const r = await project.sextant(["deploy"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("kamal-proxy version v0.8.0 is too old, run `sextant proxy reboot` in order to update to at least v0.9.2");
      expect(await must(`docker ps -q --filter label=service=${SERVICE} --filter status=running | wc -l`)).toBe("1");
    } finally {
      await must("docker rm kamal-proxy && docker rename kamal-proxy-real kamal-proxy && docker rmi basecamp/kamal-proxy:v0.8.0 >/dev/null");
    }
    expect(await served(host)).toBe("kamal");
  }, 120_000);

  test("deploy replaces Kamal's container under load without a failed request, keeping Kamal's proxy", async () => {
    const load = continuousLoad([`http://${host}/`]);
    const r = await project.sextant(["deploy"]);
    const result = await load.stop();
    ok(r);
    expect(result.total).toBeGreaterThan(10);
    expect(result).toMatchObject({ failed: 0 });
    expect(await served(host)).toBe("sextant");
    // Kamal's proxy container kept serving (same container, same image); Kamal's app container is stopped, not removed.
    expect(await must("docker inspect kamal-proxy --format '{{.Config.Image}}'")).toBe("basecamp/kamal-proxy:v0.9.2");
    expect(await must(`docker inspect ${SERVICE}-web-${KAMAL_VERSION} --format '{{.State.Status}}'`)).toBe("exited");
    const audit = ok(await project.sextant(["audit", "-q"])).stdout;
    expect(audit).toContain(`Booted app version ${KAMAL_VERSION}`);
    expect(audit).toContain(`Booted app version ${sextantVersion}`);
  }, 120_000);

  test("rollback goes back to Kamal's release (the previous one, without naming it)", async () => {
    const r = ok(await project.sextant(["rollback"]));
    expect(r.stdout).toContain(`to the previous version ${KAMAL_VERSION}`);
    expect(await served(host)).toBe("kamal");
    ok(await project.sextant(["rollback", sextantVersion]));
    expect(await served(host)).toBe("sextant");
  }, 120_000);

  test("remove takes away both releases, the files and the proxy", async () => {
    ok(await project.sextant(["remove", "-y"]));
    expect(await must(`docker ps -aq --filter label=service=${SERVICE}`)).toBe("");
    expect(await must("docker ps -aq --filter name=^kamal-proxy$")).toBe("");
    expect(await must(`test -d .kamal/apps/${SERVICE} && echo present || echo gone`)).toBe("gone");
    expect(await must("test -d .kamal/proxy && echo present || echo gone")).toBe("gone");
    expect(await must(`docker images -q ${image}`)).toBe("");
  }, 120_000);
});
