/**
 * Two apps on one server: two services (two projects, two config files) share one proxy and are
 * routed by host name; deploying one leaves the other alone; `proxy remove` refuses while apps are
 * installed; removing one app leaves the other serving; removing the last takes the proxy away.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isolateCache, ok, release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[2]!;
const apps = ["alpha", "beta"] as const;
const projects: Record<string, Project> = {};

const accessoryHost = bed.hosts[0]!;
const accessoryYml = `
accessories:
  cache:
    image: ${bed.registry}/e2e/alpha:latest
    host: ${accessoryHost}
    cmd: /bin/busybox sh -c "trap 'exit 0' TERM; while true; do sleep 1; done"
`;

const sextant = (app: string, args: string[]) => projects[app]!.sextant(args);

async function bodyFor(hostName: string): Promise<string> {
  const r = await fetch(`http://${host}/`, { headers: { host: hostName }, signal: AbortSignal.timeout(5000) });
  return `${r.status} ${await r.text()}`;
}

async function proxyRunning(): Promise<boolean> {
  return (await onHost(bed, host, "docker ps -q --filter name=^kamal-proxy$")).stdout.trim() !== "";
}

beforeAll(async () => {
  for (const app of apps) {
    const project = await makeProject(bed, {
      "config/deploy.yml": serviceYml(bed, {
        service: app,
        roles: { web: [host] },
        proxyHost: `${app}.example.test`,
        // alpha also has an accessory on a host of its own, to check which commands reach it.
        extra: app === "alpha" ? accessoryYml : "",
      }),
      ".kamal/secrets": SECRETS,
    });
    isolateCache(project, bed);
    projects[app] = project;
    await release(project, app, "1");
  }
  ok(await sextant("alpha", ["setup"]));
  ok(await sextant("beta", ["setup"]));
}, 240_000);

afterAll(async () => {
  for (const app of apps) {
    await sextant(app, ["remove", "-y"]);
    projects[app]?.cleanup();
  }
}, 120_000);

describe("two apps on one server", () => {
  test("one proxy routes each host name to its app", async () => {
    expect(await bodyFor("alpha.example.test")).toMatch(/^200 .*alpha <b id="version">1</);
    expect(await bodyFor("beta.example.test")).toMatch(/^200 .*beta <b id="version">1</);
    expect(await bodyFor("gamma.example.test")).toMatch(/^404 /);
    const proxies = (await onHost(bed, host, "docker ps --filter name=kamal-proxy --format '{{.Names}}'")).stdout.trim();
    expect(proxies).toBe("kamal-proxy");
    expect((await onHost(bed, host, "ls .kamal/apps")).stdout.trim().split("\n")).toEqual(expect.arrayContaining(["alpha", "beta"]));
  });

  test("scope: app and proxy commands reach the app's hosts, server exec, prune and details the accessory's too", async () => {
    const version = ok(await sextant("alpha", ["app", "version"])).stdout;
    expect(version).toContain(`App Host: ${host}`);
    expect(version).not.toContain(accessoryHost);
    const proxy = ok(await sextant("alpha", ["proxy", "details"])).stdout;
    expect(proxy).toContain(`Proxy Host: ${host}`);
    expect(proxy).not.toContain(accessoryHost);
    const exec = ok(await sextant("alpha", ["server", "exec", "hostname"])).stdout;
    expect(exec).toContain(`App Host: ${host}\nhost3`);
    expect(exec).toContain(`App Host: ${accessoryHost}\nhost1`);
    ok(await sextant("alpha", ["prune", "all"]));
    expect((await onHost(bed, accessoryHost, "tail -n 1 .kamal/alpha-audit.log")).stdout).toContain("Pruned images");
    const details = ok(await sextant("alpha", ["details"])).stdout;
    expect(details).toContain(`Accessory cache Host: ${accessoryHost}`);
    expect(details).toContain("alpha-cache");
    // --hosts narrows to the accessory host: no app there.
    const none = await sextant("alpha", ["app", "details", "-h", accessoryHost]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No app hosts selected");
  }, 60_000);

  test("deploying one app leaves the other alone", async () => {
    const betaContainer = (await onHost(bed, host, "docker ps -q --filter label=service=beta")).stdout.trim();
    await release(projects.alpha!, "alpha", "2");
    ok(await sextant("alpha", ["deploy"]));
    expect(await served(host, "alpha.example.test")).toBe("2");
    expect(await served(host, "beta.example.test")).toBe("1");
    expect((await onHost(bed, host, "docker ps -q --filter label=service=beta")).stdout.trim()).toBe(betaContainer);
  }, 120_000);

  test("proxy remove refuses while apps are installed, naming them", async () => {
    const r = await sextant("beta", ["proxy", "remove"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not removing the proxy, as other apps are installed on ${host} (alpha, beta)`);
    expect(r.stderr).toContain("--force");
    expect(await proxyRunning()).toBe(true);
  });

  test("removing one app leaves the other serving through the same proxy", async () => {
    const r = ok(await sextant("alpha", ["remove", "-y"]));
    expect(r.stdout).toContain("Keeping the proxy");
    expect(await bodyFor("alpha.example.test")).toMatch(/^404 /);
    expect(await served(host, "beta.example.test")).toBe("1");
    expect(await proxyRunning()).toBe(true);
    expect((await onHost(bed, host, "docker ps -aq --filter label=service=alpha")).stdout.trim()).toBe("");
    expect((await onHost(bed, accessoryHost, "docker ps -aq --filter label=service=alpha-cache")).stdout.trim()).toBe("");
  }, 60_000);

  test("removing the last app removes the proxy", async () => {
    ok(await sextant("beta", ["remove", "-y"]));
    expect(await proxyRunning()).toBe(false);
    expect((await onHost(bed, host, "ls .kamal/apps 2>/dev/null | wc -l")).stdout.trim()).toBe("0");
  }, 60_000);
});
