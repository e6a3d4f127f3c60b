/**
 * The proxy commands on a two-host role: a rolling reboot under load that no request notices
 * (behind a load balancer that sends a refused request to the other host), the reboot hooks per
 * group, boot_config set/get/reset applied by a reboot, stop/start/restart, details and logs,
 * upgrade from a Kamal 1 server (Traefik), and remove (refused while apps are installed).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isolateCache, ok, release, SECRETS, served, serviceYml } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const [web1, web2] = bed.hosts as [string, string];
const SERVICE = "rolling";
let project: Project;

const sextant = (args: string[]) => project.sextant(args);

async function proxyContainer(host: string): Promise<string> {
  return (await onHost(bed, host, "docker ps -q --filter name=^kamal-proxy$")).stdout.trim();
}

/**
 * Requests alternating between the hosts, as a load balancer in front of them would send them; a
 * request a host refuses (its proxy is down) goes to the other host. Failed: not a 200 anywhere.
 */
function balancedLoad(hosts: string[]) {
  let stopped = false;
  const counts = { total: 0, failed: 0, retried: 0, statuses: {} as Record<string, number> };
  const get = async (host: string) => {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return response.status;
  };
  const worker = async (offset: number) => {
    for (let i = offset; !stopped; i++) {
      const first = hosts[i % hosts.length]!;
      const second = hosts[(i + 1) % hosts.length]!;
      let status: number | string;
      try {
        status = await get(first);
      } catch {
        counts.retried++;
        status = await get(second).catch((e: Error) => e.name);
      }
      counts.total++;
      counts.statuses[status] = (counts.statuses[status] ?? 0) + 1;
      if (status !== 200) counts.failed++;
    }
  };
  const running = Promise.all([0, 1, 2].map(worker));
  return {
    async stop() {
      stopped = true;
      await running;
      return counts;
    },
  };
}

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [web1, web2] } }),
    ".kamal/secrets": SECRETS,
  });
  isolateCache(project, bed);
  const log = join(project.dir, "..", "hooks.log");
  for (const hook of ["pre-proxy-reboot", "post-proxy-reboot"]) {
    project.write(`.kamal/hooks/${hook}`, `#!/bin/sh\necho "${hook} $KAMAL_HOSTS $KAMAL_COMMAND $KAMAL_SUBCOMMAND" >> ${log}\n`);
    chmodSync(join(project.dir, ".kamal/hooks", hook), 0o755);
  }
  await release(project, SERVICE, "1");
  ok(await sextant(["setup"]));
}, 180_000);

afterAll(async () => {
  await sextant(["remove", "-y"]);
  project?.cleanup();
}, 120_000);

describe("proxy reboot", () => {
  test("--rolling under load: one host at a time, each back before the next, no failed request", async () => {
    const before = [await proxyContainer(web1), await proxyContainer(web2)];
    const load = balancedLoad([web1, web2]);
    await new Promise((r) => setTimeout(r, 500));
    const reboot = await sextant(["proxy", "reboot", "--rolling", "-y"]);
    await new Promise((r) => setTimeout(r, 500));
    const counts = await load.stop();
    ok(reboot);
    expect(counts.total).toBeGreaterThan(50);
    expect(counts).toMatchObject({ failed: 0 });
    // Both proxies were replaced, and the routes came back from the proxy's state.
    const after = [await proxyContainer(web1), await proxyContainer(web2)];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(await served(web1)).toBe("1");
    expect(await served(web2)).toBe("1");
    // The hooks ran around each host's group, in order.
    const hooks = readFileSync(join(project.dir, "..", "hooks.log"), "utf8")
      .trim()
      .split("\n");
    expect(hooks).toEqual([`pre-proxy-reboot ${web1} proxy reboot`, `post-proxy-reboot ${web1} proxy reboot`, `pre-proxy-reboot ${web2} proxy reboot`, `post-proxy-reboot ${web2} proxy reboot`]);
  }, 120_000);

  test("without -y and without a terminal it asks for confirmation instead", async () => {
    const r = await sextant(["proxy", "reboot"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("proxy reboot needs confirmation");
    expect(r.stderr).toContain("sextant proxy reboot -y");
  });
});

describe("boot_config", () => {
  test("set writes the settings, a reboot applies them, reset goes back to the defaults", async () => {
    ok(await sextant(["proxy", "boot_config", "set", "--http-port", "8080", "--publish-host-ip", web2, "--log-max-size", "20m", "--metrics-port", "9100", "-h", web2]));
    const got = ok(await sextant(["proxy", "boot_config", "get", "-h", web2])).stdout;
    expect(got).toContain(`Host ${web2}: --publish ${web2}:8080:80 --publish ${web2}:443:443 --log-opt max-size=20m --expose=9100 sextant/proxy:`);
    expect(got).toContain('kamal-proxy run --metrics-port "9100"');
    ok(await sextant(["proxy", "reboot", "-y", "-h", web2]));
    expect(await served(web2, undefined, 8080)).toBe("1");
    expect(await served(web2)).toMatch(/^status 000/);
    const inspect = (await onHost(bed, web2, "docker inspect kamal-proxy --format '{{.HostConfig.LogConfig.Config}}'")).stdout;
    expect(inspect).toContain("max-size:20m");

    ok(await sextant(["proxy", "boot_config", "reset", "-h", web2]));
    expect(ok(await sextant(["proxy", "boot_config", "get", "-h", web2])).stdout).toContain(`Host ${web2}: --publish 80:80 --publish 443:443 --log-opt max-size=10m sextant/proxy:`);
    ok(await sextant(["proxy", "reboot", "-y", "-h", web2]));
    expect(await served(web2)).toBe("1");
  }, 90_000);

  test("proxy.run in the config takes precedence over the boot files", async () => {
    const plain = serviceYml(bed, { service: SERVICE, roles: { web: [web1, web2] } });
    const withRun = plain.replace("proxy:\n  app_port: 80\n", `proxy:\n  app_port: 80\n  run:\n    http_port: 8082\n    bind_ips:\n      - ${web2}\n`);
    expect(withRun).not.toBe(plain);
    project.write("config/deploy.yml", withRun);
    try {
      const set = ok(await sextant(["proxy", "boot_config", "set", "--http-port", "8080", "-h", web2]));
      expect(set.stderr).toContain(`proxy.run in the config applies on ${web2}: the boot config files are not used there`);
      ok(await sextant(["proxy", "reboot", "-y", "-h", web2]));
      expect(await served(web2, undefined, 8082)).toBe("1");
      expect((await onHost(bed, web2, "docker port kamal-proxy 80")).stdout.trim()).toBe(`${web2}:8082`);
    } finally {
      project.write("config/deploy.yml", plain);
    }
    ok(await sextant(["proxy", "boot_config", "reset", "-h", web2]));
    ok(await sextant(["proxy", "reboot", "-y", "-h", web2]));
    expect(await served(web2)).toBe("1");
  }, 90_000);

  test("bad values are refused with the expected form", async () => {
    const r = await sextant(["proxy", "boot_config", "set", "--http-port", "eighty"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--http-port takes a port number (got "eighty")');
  });
});

describe("proxy lifecycle", () => {
  test("stop, start, restart, details and logs", async () => {
    ok(await sextant(["proxy", "stop", "-h", web1]));
    expect(await served(web1)).toMatch(/^status 000/);
    expect(await served(web2)).toBe("1");
    ok(await sextant(["proxy", "start", "-h", web1]));
    expect(await served(web1)).toBe("1");
    ok(await sextant(["proxy", "restart", "-h", web1]));
    expect(await served(web1)).toBe("1");

    const details = ok(await sextant(["proxy", "details"])).stdout;
    expect(details).toContain(`Proxy Host: ${web1}`);
    expect(details).toContain(`Proxy Host: ${web2}`);
    expect(details).toContain("kamal-proxy");

    const logs = ok(await sextant(["proxy", "logs", "-h", web1, "--grep", "Request", "-n", "5"])).stdout;
    expect(logs).toContain(`Proxy Host: ${web1}`);
    expect(logs).toContain('"msg":"Request"');
    const audit = ok(await sextant(["audit", "-h", web1])).stdout;
    expect(audit).toContain("Stopped proxy");
    expect(audit).toContain("Started proxy");
    expect(audit).toContain("Rebooted proxy");
  }, 60_000);

  test("upgrade replaces a Kamal 1 server's Traefik with the proxy and boots the app", async () => {
    const image = `${bed.registry}/e2e/${SERVICE}:latest`;
    await onHost(bed, web1, `docker run -d --name traefik --label org.opencontainers.image.title=Traefik ${image}`);
    ok(await sextant(["proxy", "upgrade", "-y", "-h", web1]));
    expect((await onHost(bed, web1, "docker ps -a --format '{{.Names}}'")).stdout).not.toContain("traefik");
    expect(await proxyContainer(web1)).not.toBe("");
    expect(await served(web1)).toBe("1");
  }, 60_000);

  test("remove is refused while apps are installed, and says what to do", async () => {
    const r = await sextant(["proxy", "remove"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not removing the proxy, as other apps are installed on ${web1} (${SERVICE})`);
    expect(r.stderr).toContain("sextant proxy remove --force");
    expect(await proxyContainer(web1)).not.toBe("");
  });

  test("with no app left, remove takes the container, image and files away", async () => {
    ok(await sextant(["app", "remove", "-y"]));
    ok(await sextant(["proxy", "remove"]));
    for (const host of [web1, web2]) {
      expect(await proxyContainer(host)).toBe("");
      expect((await onHost(bed, host, "test -d .kamal/proxy && echo present || echo gone")).stdout.trim()).toBe("gone");
    }
    ok(await sextant(["proxy", "boot"]));
    expect(await proxyContainer(web1)).not.toBe("");
  }, 60_000);
});
