/**
 * Proxy settings from deploy.yml that Kamal's open pull requests add and kamal-proxy supports:
 * client_ip_header, canonical_host, exclude_metrics_paths, healthcheck.port, tls_on_demand_url and
 * run.http3 — the key names of those pull requests, so configs stay portable.
 */
import { describe, expect, test } from "bun:test";
import { appCommands } from "../../../src/commands/app.ts";
import * as proxy from "../../../src/commands/proxy.ts";
import { render } from "../../../src/commands/shell.ts";
import { BASE, load, loadError } from "./helpers.ts";

describe("proxy keys from Kamal's open pull requests", () => {
  test("each becomes its kamal-proxy deploy flag", () => {
    const config = load(`${BASE}proxy:
  host: www.example.com,example.com
  canonical_host: www.example.com
  client_ip_header: True-Client-IP
  exclude_metrics_paths: [ /up, /health ]
  healthcheck:
    port: 3001
`);
    const web = config.role("web")!;
    const line = render(appCommands(config, web, "1.1.1.1").deploy("abcdef012345"));
    expect(line).toContain('--health-check-port="3001" --client-ip-header="True-Client-IP" --canonical-host="www.example.com" --exclude-metrics-path="/up" --exclude-metrics-path="/health"');
  });

  test("on-demand TLS: ssl true, no host, the URL passed", () => {
    const config = load(`${BASE}proxy:\n  ssl: true\n  tls_on_demand_url: /tls/allowed\n`);
    const line = render(appCommands(config, config.role("web")!, "1.1.1.1").deploy("abcdef012345"));
    expect(line).toContain('--tls --deploy-timeout="30s"');
    expect(line).toContain('--tls-on-demand-url="/tls/allowed"');
  });

  test("run.http3: --http3 on kamal-proxy run and the HTTPS port published over UDP", () => {
    const config = load(`${BASE}proxy:\n  host: app.example.com\n  run:\n    http3: true\n`);
    const run = config.role("web")!.proxy!.run!;
    const line = render(proxy.runWithConfig(".kamal", run));
    expect(line).toContain("--publish 80:80 --publish 443:443 --publish 443:443/udp");
    expect(line).toEndWith("kamal-proxy run --http3");
  });

  test("what kamal-proxy would refuse is refused when the config loads, naming the key", () => {
    const cases: [string, string][] = [
      ["proxy:\n  tls_on_demand_url: /tls/allowed\n", "proxy/tls_on_demand_url: On-demand TLS needs ssl: true"],
      ["proxy:\n  ssl: true\n  host: a.example.com\n  tls_on_demand_url: /tls\n", "proxy/tls_on_demand_url: Cannot set host or hosts with tls_on_demand_url"],
      ["proxy:\n  ssl: true\n  tls_on_demand_url: ftp://x\n", "proxy/tls_on_demand_url: tls_on_demand_url must be an app path or an http(s) URL (got ftp://x)"],
      ["proxy:\n  host: a.example.com\n  canonical_host: b.example.com\n", "proxy/canonical_host: canonical_host b.example.com must be one of the hosts (a.example.com)"],
      ["proxy:\n  host: a.example.com\n  run:\n    publish: false\n    http3: true\n", "proxy/run/http3: Cannot enable http3 when publish is false"],
      ["proxy:\n  host: a.example.com\n  healthcheck:\n    port: web\n", "proxy/healthcheck/port"],
    ];
    for (const [yaml, message] of cases) expect(loadError(`${BASE}${yaml}`).message).toContain(message);
  });
});

describe("sextant config", () => {
  test("shows the keys beyond Kamal per role, and nothing more for a plain Kamal config", async () => {
    const { kamalConfigHash } = await import("../../../src/config/output.ts");
    const extended = load(
      `${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    hosts: [ 1.1.1.1 ]\n    replicas: 2\n")}proxy:\n  host: a.example.com\n  canonical_host: a.example.com\n  healthcheck:\n    port: 3001\n`,
    );
    expect(kamalConfigHash(extended).beyond_kamal).toEqual({ web: { replicas: 2, canonical_host: "a.example.com", healthcheck_port: 3001 } });
    expect(kamalConfigHash(load(BASE)).beyond_kamal).toBeUndefined();
  });
});
