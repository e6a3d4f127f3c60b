import { describe, expect, test } from "bun:test";
import { appCommands } from "../../../src/commands/app.ts";
import * as proxy from "../../../src/commands/proxy.ts";
import { runOverSsh } from "../../../src/commands/server.ts";
import { render } from "../../../src/commands/shell.ts";
import { proxyRunSettings } from "../../../src/config/proxy-model.ts";
import { makeConfig, role } from "./_config.ts";

const LEGACY_RUN =
  'echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config';
const BASE_RUN =
  "docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config";

describe("proxy boot", () => {
  test("variant A: legacy boot files, behind `docker container start ||`", () => {
    expect(render(proxy.startOrRun(".kamal"))).toBe(`docker container start kamal-proxy || ${LEGACY_RUN}`);
  });

  test("variant B: run config with metrics, options and a registry", () => {
    const run = proxyRunSettings({ metrics_port: 9090, debug: true, registry: "registry:4443", options: { cpus: 1.5 } });
    expect(render(proxy.run(".kamal", run))).toBe(
      `${BASE_RUN} --publish 80:80 --publish 443:443 --log-opt max-size=10m --expose=9090 --cpus "1.5" registry:4443/basecamp/kamal-proxy:v0.9.2 kamal-proxy run --debug --metrics-port "9090"`,
    );
  });

  test("variant B: defaults", () => {
    expect(render(proxy.startOrRun(".kamal", proxyRunSettings({ version: "v0.9.3" })))).toBe(
      `docker container start kamal-proxy || ${BASE_RUN} --publish 80:80 --publish 443:443 --log-opt max-size=10m basecamp/kamal-proxy:v0.9.3 kamal-proxy run`,
    );
  });

  test("variant B: ports per bind IP, IPv6 bracketed, empty log size", () => {
    const run = proxyRunSettings({ http_port: 8080, https_port: 8443, bind_ips: ["127.0.0.1", "::1"], log_max_size: "" });
    expect(render(proxy.run(".kamal", run))).toBe(`${BASE_RUN} --publish 127.0.0.1:8080:80 --publish 127.0.0.1:8443:443 --publish [::1]:8080:80 --publish [::1]:8443:443 basecamp/kamal-proxy:v0.9.2 kamal-proxy run`);
  });

  test("variant B: publish false", () => {
    expect(render(proxy.run(".kamal", proxyRunSettings({ publish: false })))).toBe(`${BASE_RUN} --log-opt max-size=10m basecamp/kamal-proxy:v0.9.2 kamal-proxy run`);
  });

  test("the role's merged proxy config carries the run settings", () => {
    const config = makeConfig({ proxy: { host: "a.example.com", run: { http_port: 8080 } } });
    expect(render(proxy.run(config.runDirectory, role(config).proxy?.run))).toContain("--publish 8080:80 --publish 443:443");
  });

  test("network, version, directories", () => {
    expect(render(proxy.createNetwork())).toBe("docker network create kamal");
    expect(render(proxy.version())).toBe("docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'");
    expect(render(proxy.ensureAppsConfigDirectory(".kamal"))).toBe("mkdir -p .kamal/proxy/apps-config");
    expect(render(proxy.ensureProxyDirectory(".kamal"))).toBe("mkdir -p .kamal/proxy");
    expect(render(proxy.removeProxyDirectory(".kamal"))).toBe("rm -r .kamal/proxy");
  });
});

describe("proxy container lifecycle", () => {
  test("start, stop, info, remove", () => {
    expect(render(proxy.start())).toBe("docker container start kamal-proxy");
    expect(render(proxy.stop())).toBe("docker container stop kamal-proxy");
    expect(render(proxy.info())).toBe("docker ps --filter 'name=^kamal-proxy$'");
    expect(render(proxy.removeContainer())).toBe("docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy");
    expect(render(proxy.removeImage())).toBe("docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy");
  });

  test("logs", () => {
    expect(render(proxy.logs())).toBe("docker logs kamal-proxy --timestamps 2>&1");
    expect(render(proxy.logs({ since: "2h", lines: 100, grep: "hello!" }))).toBe("docker logs kamal-proxy --since 2h --tail 100 --timestamps 2>&1 | grep 'hello!'");
    expect(render(runOverSsh(makeConfig().ssh, "1.1.1.1", proxy.followLogs({ grep: "hello!" })))).toBe("ssh -t root@1.1.1.1 -p 22 'docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1 | grep \"hello!\"'");
  });

  test("Traefik cleanup for `proxy upgrade`", () => {
    expect(render(proxy.cleanupTraefik())).toBe(
      "docker container stop traefik ; docker container prune --force --filter label=org.opencontainers.image.title=Traefik && docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik",
    );
  });
});

test("follow app logs over ssh: nested '\\'' escaping (Kamal's follow logs test, 2.12 filters)", () => {
  const config = makeConfig();
  const app = appCommands(config, role(config), "app-1");
  expect(render(runOverSsh(config.ssh, "app-1", app.followLogs({ grep: "Completed" })))).toBe(
    "ssh -t root@app-1 -p 22 'sh -c '\\''docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''\\'\\'''\\''{{.ID}}'\\''\\'\\'''\\'') ; docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting'\\'' | head -1 | xargs docker logs --timestamps --follow 2>&1 | grep \"Completed\"'",
  );
});

test("minimum proxy version", () => {
  expect(proxy.olderProxyVersion("v0.9.1")).toBe(true);
  expect(proxy.olderProxyVersion("v0.8.10")).toBe(true);
  expect(proxy.olderProxyVersion("v0.9.2")).toBe(false);
  expect(proxy.olderProxyVersion("v0.10.0\n")).toBe(false);
  expect(proxy.olderProxyVersion("v1")).toBe(false);
  expect(proxy.olderProxyVersion("latest")).toBe(false);
});
