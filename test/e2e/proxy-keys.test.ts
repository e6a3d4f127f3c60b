/**
 * Proxy settings from deploy.yml, end to end: health checks on another port of the app
 * (healthcheck.port), a canonical host redirect, the client address taken from a CDN header
 * (client_ip_header), metrics paths excluded, and HTTP/3's UDP port published (run.http3).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { page, registryYml, SECRETS, SSH_YML } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[1]!;
const SERVICE = "keys";
let project: Project;

beforeAll(async () => {
  project = await makeProject(bed, {
    // The app answers its health check only on port 3001: a check on port 80 would fail the deploy.
    Dockerfile: [
      "FROM scratch",
      "COPY busybox /bin/busybox",
      "COPY www /www",
      "COPY health /health",
      'CMD ["/bin/busybox", "sh", "-c", "trap \'exit 0\' TERM; /bin/busybox httpd -p 3001 -h /health; /bin/busybox httpd -f -p 80 -h /www & wait"]',
    ].join("\n"),
    "www/index.html": page(SERVICE, "one"),
    "www/up": "",
    "health/up": "ok\n",
    "config/deploy.yml": `service: ${SERVICE}
image: e2e/${SERVICE}
servers:
  web:
    - ${host}
proxy:
  app_port: 80
  hosts: [ www.keys.test, keys.test ]
  canonical_host: www.keys.test
  client_ip_header: True-Client-IP
  exclude_metrics_paths: [ /up ]
  healthcheck:
    path: /up
    port: 3001
    interval: 1
  run:
    http3: true
    metrics_port: 9090
${registryYml(bed)}builder:
  arch: amd64
${SSH_YML}deploy_timeout: 15
drain_timeout: 1
readiness_delay: 0
`,
    ".kamal/secrets": SECRETS,
  });
  // www/up exists in the repo but is empty: remove it so that port 80 has no health endpoint.
  await run(["git", "rm", "-q", "www/up"], { cwd: project.dir });
  await project.commit("one");
}, 120_000);

afterAll(async () => {
  await project.sextant(["remove", "-y"]).catch(() => undefined);
  project.cleanup();
}, 120_000);

describe("proxy keys in deploy.yml", () => {
  test("setup passes the health check on healthcheck.port, and the proxy publishes 443/udp for HTTP/3", async () => {
    await onHost(bed, host, "docker rm -f kamal-proxy 2>/dev/null || true");
    const result = await project.sextant(["setup", "-v"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('--health-check-port="3001"');
    const ports = await onHost(bed, host, "docker port kamal-proxy");
    expect(ports.stdout).toContain("443/udp");
    const check = await run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: www.keys.test", `http://${host}/up`]);
    expect(check.stdout).toBe("404"); // port 80 really has no health endpoint
  }, 240_000);

  test("canonical_host redirects the other hosts; the canonical one is served", async () => {
    const other = await run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: keys.test", `http://${host}/x?y=1`]);
    expect(other.stdout).toBe("301 http://www.keys.test/x?y=1");
    const canonical = await run(["curl", "-s", "-H", "Host: www.keys.test", `http://${host}/`]);
    expect(canonical.stdout).toContain('id="version">one<');
  });

  test("client_ip_header: the proxy takes the client's address from True-Client-IP", async () => {
    await run(["curl", "-s", "-o", "/dev/null", "-H", "Host: www.keys.test", "-H", "True-Client-IP: 203.0.113.77", `http://${host}/from-cdn`]);
    const logs = await project.sextant(["proxy", "logs", "--grep", "from-cdn", "-n", "50"]);
    expect(logs.stdout).toContain("203.0.113.77");
  });

  test("exclude_metrics_paths: requests for /up are not counted in the proxy's metrics, others are", async () => {
    const count = async () => {
      const ip = (await onHost(bed, host, "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' kamal-proxy")).stdout.trim();
      const metrics = (await onHost(bed, host, `curl -s http://${ip}:9090/metrics`)).stdout;
      return [...metrics.matchAll(/^kamal_proxy_http_requests_total\{[^}]*service="keys-web"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await count();
    for (let i = 0; i < 5; i++) await run(["curl", "-s", "-o", "/dev/null", "-H", "Host: www.keys.test", `http://${host}/up`]);
    expect(await count()).toBe(before);
    for (let i = 0; i < 5; i++) await run(["curl", "-s", "-o", "/dev/null", "-H", "Host: www.keys.test", `http://${host}/`]);
    expect(await count()).toBe(before + 5);
  });
});
