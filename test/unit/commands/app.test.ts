import { describe, expect, test } from "bun:test";
import { appCommands, assetVolumeArgs } from "../../../src/commands/app.ts";
import { render } from "../../../src/commands/shell.ts";
import type { Raw } from "../../../src/config/model.ts";
import { makeConfig, role } from "./_config.ts";

/** The worked example of a one-role deploy (`kamal deploy` of a one-role app). */
const EXAMPLE: Raw = {
  env: { clear: { DB_HOST: "db" }, secret: ["RAILS_MASTER_KEY"] },
  proxy: { host: "app.example.com", ssl: true, app_port: 3000 },
};

function app(overrides: Raw = {}, options: { destination?: string; version?: string; role?: string; host?: string } = {}) {
  const config = makeConfig(overrides, options);
  return appCommands(config, role(config, options.role ?? "web"), options.host ?? "1.1.1.1");
}

const CURRENT = (filters: string) =>
  `sh -c 'docker ps --latest --quiet ${filters} --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --quiet ${filters} --filter status=running --filter status=restarting' | head -1`;

describe("worked example: kamal deploy of a one-role app", () => {
  const a = app(EXAMPLE, { version: "abc123" });

  test("docker run", () => {
    expect(render(a.run({ hostnameHex: "0123456789ab" }))).toBe(
      'docker run --detach --restart unless-stopped --name app-web-abc123 --network kamal --hostname 1.1.1.1-0123456789ab --env KAMAL_CONTAINER_NAME="app-web-abc123" --env KAMAL_VERSION="abc123" --env KAMAL_HOST="1.1.1.1" --env DB_HOST="db" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:abc123',
    );
  });

  test("versions of the role", () => {
    expect(render(a.listVersions())).toBe('docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "{{.Names}}" | while read line; do echo ${line#app-web-}; done');
  });

  test("current container id", () => {
    expect(render(a.currentRunningContainerId())).toBe(
      "sh -c 'docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting' | head -1",
    );
  });

  test("current version", () => {
    expect(render(a.currentRunningVersion())).toBe(
      "sh -c 'docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting' | head -1 | while read line; do echo ${line#app-web-}; done",
    );
  });

  test("container id of the new version", () => {
    expect(render(a.containerIdForVersion("abc123"))).toBe("docker container ls --all --filter 'name=^app-web-abc123$' --quiet");
  });

  test("kamal-proxy deploy", () => {
    expect(render(a.deploy("5e6f7a8b9c0d"))).toBe(
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="5e6f7a8b9c0d:3000" --host="app.example.com" --tls --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    );
  });

  test("stop the old version (proxy role, no stop_timeout: no -t)", () => {
    expect(render(a.stop({ version: "9f8e7d" }))).toBe("docker container ls --all --filter 'name=^app-web-9f8e7d$' --quiet | xargs docker stop");
  });
});

describe("destination staging", () => {
  const a = app(EXAMPLE, { version: "abc123", destination: "staging" });
  test("docker run", () => {
    expect(render(a.run())).toBe(
      'docker run --detach --restart unless-stopped --name app-web-staging-abc123 --network kamal --env KAMAL_CONTAINER_NAME="app-web-staging-abc123" --env KAMAL_VERSION="abc123" --env KAMAL_HOST="1.1.1.1" --env KAMAL_DESTINATION="staging" --env DB_HOST="db" --env-file .kamal/apps/app-staging/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination="staging" dhh/app:abc123',
    );
  });
  test("start, info, current container, deploy", () => {
    expect(render(a.start())).toBe("docker start app-web-staging-abc123");
    expect(render(a.info())).toBe("docker ps --filter label=service=app --filter label=destination=staging --filter label=role=web");
    expect(render(a.currentRunningContainerId())).toContain("--filter reference=dhh/app:latest-staging");
    expect(render(a.deploy("172.1.0.2"))).toStartWith('docker exec kamal-proxy kamal-proxy deploy app-web-staging --target="172.1.0.2:3000"');
  });
});

describe("run variants", () => {
  test("minimal (Kamal's `run` test, 2.12 flags)", () => {
    expect(render(app().run())).toBe(
      'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999',
    );
  });

  test("explicit hostname", () => {
    expect(render(app().run({ hostname: "myhost" }))).toContain("--network kamal --hostname myhost --env KAMAL_CONTAINER_NAME");
  });

  test("long server names are cut to 51 characters, trailing dot removed", () => {
    const host = `${"a".repeat(50)}.example.com`;
    expect(render(app({ servers: [host] }, { host }).run({ hostnameHex: "0123456789ab" }))).toContain(`--hostname ${"a".repeat(50)}-0123456789ab `);
  });

  test("volumes", () => {
    expect(render(app({ volumes: ["/local/path:/container/path"] }).run())).toContain('--log-opt max-size="10m" --volume /local/path:/container/path --label service="app"');
  });

  test("custom options, cmd, restart policy", () => {
    const a = app({ servers: { web: ["1.1.1.1"], jobs: { hosts: ["1.1.1.2"], cmd: "bin/jobs", options: { mount: "somewhere", "cap-add": true, restart: "always" } } } }, { role: "jobs", host: "1.1.1.2" });
    expect(render(a.run())).toBe(
      'docker run --detach --restart always --name app-jobs-999 --network kamal --env KAMAL_CONTAINER_NAME="app-jobs-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.2" --env-file .kamal/apps/app/env/roles/jobs.env --log-opt max-size="10m" --label service="app" --label role="jobs" --label destination --mount "somewhere" --cap-add dhh/app:999 bin/jobs',
    );
  });

  test("logging driver and options, role logging merged over root", () => {
    const a = app({
      logging: { driver: "local", options: { "max-size": "10m", "max-file": "3" } },
      servers: { web: { hosts: ["1.1.1.1"], logging: { options: { "max-size": "100m" } } } },
    });
    expect(render(a.run())).toContain('--env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --label service="app"');
  });

  test("env tags per host, escaped clear values, ${} left for the remote shell", () => {
    const a = app({
      servers: [{ "1.1.1.1": "tag1" }],
      env: { clear: { PATHS: "$HOME:${HOST_TOKEN}" }, tags: { tag1: { ENV1: "value1" } } },
    });
    expect(render(a.run())).toContain('--env KAMAL_HOST="1.1.1.1" --env PATHS="\\$HOME:${HOST_TOKEN}" --env ENV1="value1" --env-file');
  });

  test("custom labels after the defaults", () => {
    expect(render(app({ labels: { "my.label": "x y" } }).run())).toContain('--label service="app" --label role="web" --label destination --label my.label="x y" dhh/app:999');
  });

  test("asset volume between volumes and labels", () => {
    const a = app({ asset_path: "/public/assets", volumes: ["/v:/v"], proxy: { host: "a.example.com" } });
    expect(render(a.run())).toContain("--volume /v:/v --volume $PWD/.kamal/apps/app/assets/volumes/web-999:/public/assets --label service");
  });
});

describe("start / stop / status", () => {
  test("stop the current container; non-proxy roles default to -t drain_timeout", () => {
    const config = { servers: { web: ["1.1.1.1"], workers: ["1.1.1.2"] }, drain_timeout: 20 };
    expect(render(app(config).stop())).toBe(`${CURRENT("--filter label=service=app --filter label=destination= --filter label=role=web")} | xargs docker stop`);
    expect(render(app(config, { role: "workers", host: "1.1.1.2" }).stop())).toBe(`${CURRENT("--filter label=service=app --filter label=destination= --filter label=role=workers")} | xargs docker stop -t 20`);
  });

  test("stop_timeout applies to proxy roles too", () => {
    expect(render(app({ stop_timeout: 5 }).stop({ version: "123" }))).toBe("docker container ls --all --filter 'name=^app-web-123$' --quiet | xargs docker stop -t 5");
  });

  test("status and health log", () => {
    expect(render(app().status("123"))).toBe(
      "docker container ls --all --filter 'name=^app-web-123$' --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'",
    );
    expect(render(app().healthLog("123"))).toBe("docker container ls --all --filter 'name=^app-web-123$' --quiet | xargs docker inspect --format '{{json .State.Health}}'");
  });

  test("rename, remove, env directory", () => {
    const a = app();
    expect(render(a.rename("999", "999_replaced_0123456789abcdef"))).toBe("docker rename app-web-999 app-web-999_replaced_0123456789abcdef");
    expect(render(a.removeContainer("999"))).toBe("docker container ls --all --filter 'name=^app-web-999$' --quiet | xargs docker container rm");
    expect(render(a.removeContainers())).toBe("docker container prune --force --filter label=service=app --filter label=destination= --filter label=role=web");
    expect(render(a.ensureEnvDirectory())).toBe("mkdir -p .kamal/apps/app/env/roles");
  });
});

describe("logs", () => {
  const current = CURRENT("--filter label=service=app --filter label=destination= --filter label=role=web");
  test("default, since/lines, grep with options, explicit container", () => {
    const a = app();
    expect(render(a.logs())).toBe(`${current} | xargs docker logs --timestamps 2>&1`);
    expect(render(a.logs({ since: "5m", lines: 100 }))).toBe(`${current} | xargs docker logs --timestamps --since 5m --tail 100 2>&1`);
    expect(render(a.logs({ since: "5m", grep: "my-id", grepOptions: "-C 2" }))).toBe(`${current} | xargs docker logs --timestamps --since 5m 2>&1 | grep 'my-id' -C 2`);
    expect(render(a.logs({ containerId: "abcdef", timestamps: false, lines: 10 }))).toBe("echo abcdef | xargs docker logs --tail 10 2>&1");
  });
  test("follow", () => {
    expect(render(app().followLogs({ lines: 123, grep: "Completed" }))).toBe(`${current} | xargs docker logs --timestamps --tail 123 --follow 2>&1 | grep "Completed"`);
  });
});

describe("exec", () => {
  test("in the existing container", () => {
    expect(render(app().execInExisting("bin/rails db:setup", { env: { FOO: "bar" } }))).toBe('docker exec --env FOO="bar" app-web-999 bin/rails db:setup');
    expect(render(app().execInExisting("bin/rails c", { interactive: true }))).toBe("docker exec -it app-web-999 bin/rails c");
    expect(render(app().execInExisting("bin/rails c", { interactive: true, tty: false }))).toBe("docker exec -i app-web-999 bin/rails c");
  });
  test("in a new container", () => {
    const a = app({ env: { clear: { A: "1" } }, volumes: ["/v:/v"], servers: { web: { hosts: ["1.1.1.1"], options: { "cap-add": true } } } });
    expect(render(a.execInNew("bin/rails db:setup", { hex6: "a1b2c3", env: { FOO: "bar" } }))).toBe(
      'docker run --rm --name app-web-exec-999-a1b2c3 --network kamal --env A="1" --env-file .kamal/apps/app/env/roles/web.env --env FOO="bar" --log-opt max-size="10m" --volume /v:/v --cap-add dhh/app:999 bin/rails db:setup',
    );
    expect(render(a.execInNew("bin/jobs", { hex6: "a1b2c3", detach: true }))).toStartWith("docker run --detach --name app-web-exec-999-a1b2c3 ");
    expect(render(a.execInNew("bash", { hex6: "a1b2c3", interactive: true }))).toStartWith("docker run -it --rm --name");
  });
});

describe("kamal-proxy commands for a role", () => {
  test("remove, maintenance, live", () => {
    const a = app();
    expect(render(a.removeFromProxy())).toBe("docker exec kamal-proxy kamal-proxy remove app-web");
    expect(render(a.maintenance({ drainTimeout: 30, message: "Back soon" }))).toBe('docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="30s" --message="Back soon"');
    expect(render(a.live())).toBe("docker exec kamal-proxy kamal-proxy resume app-web");
  });

  test("deploy with every option (Kamal's flag order)", () => {
    const a = app({
      deploy_timeout: 60,
      drain_timeout: 10,
      error_pages_path: "public",
      proxy: {
        hosts: ["example.com", "www.example.com"],
        ssl: { certificate_pem: "CERT", private_key_pem: "KEY" },
        app_port: 3000,
        response_timeout: 10,
        healthcheck: { interval: 3, timeout: 4, path: "/health" },
        buffering: { requests: false, memory: 2000000, max_request_body: 40000000, max_response_body: 0 },
        path_prefix: "/api,/oauth",
        strip_path_prefix: false,
        forward_headers: true,
        ssl_redirect: false,
        logging: { request_headers: ["X-Req"], response_headers: ["X-Res"] },
      },
    });
    expect(render(a.deploy("abc"))).toBe(
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="abc:3000" --host="example.com" --host="www.example.com" --tls --tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/web/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/app/tls/web/key.pem" --deploy-timeout="60s" --drain-timeout="10s" --health-check-interval="3s" --health-check-timeout="4s" --health-check-path="/health" --target-timeout="10s" --buffer-requests="false" --buffer-responses --buffer-memory="2000000" --max-request-body="40000000" --max-response-body="0" --path-prefix="/api" --path-prefix="/oauth" --strip-path-prefix="false" --forward-headers --tls-redirect="false" --log-request-header="X-Req" --log-response-header="X-Res" --error-pages="/home/kamal-proxy/.apps-config/app/error_pages/999"',
    );
    expect(render(a.ensureTlsDirectory())).toBe("mkdir -p .kamal/proxy/apps-config/app/tls/web");
  });

  test("minimal deploy (Kamal's test)", () => {
    expect(render(app().deploy("172.1.0.2"))).toBe(
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    );
  });

  test("a role without the proxy cannot deploy", () => {
    expect(() => app({ servers: { web: ["1.1.1.1"], workers: ["1.1.1.2"] } }, { role: "workers" }).deploy("x")).toThrow();
  });
});

test("asset volume with mount options", () => {
  const config = makeConfig({ asset_path: "/public/assets:ro" });
  expect(render(assetVolumeArgs(config, role(config)))).toBe("--volume $PWD/.kamal/apps/app/assets/volumes/web-999:/public/assets:ro");
});
