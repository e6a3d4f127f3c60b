/** Builders that used to be shell strings written inline in orchestration: the exact lines the servers run. */
import { describe, expect, test } from "bun:test";
import { accessoryCommands } from "../../../src/commands/accessory.ts";
import { appCommands, removeAllContainers } from "../../../src/commands/app.ts";
import * as proxy from "../../../src/commands/proxy.ts";
import * as server from "../../../src/commands/server.ts";
import { removeTree, render, silenced } from "../../../src/commands/shell.ts";
import { makeConfig } from "./_config.ts";

describe("shell helpers", () => {
  test("silenced and removeTree", () => {
    expect(render(silenced(["ls", "x"]))).toBe("ls x 2>/dev/null");
    expect(render(removeTree(".kamal/proxy/apps-config/app/basic_auth"))).toBe("rm -rf .kamal/proxy/apps-config/app/basic_auth");
  });
});

describe("app removal", () => {
  test("every container of a role, any version or state", () => {
    expect(render(removeAllContainers(makeConfig(), "web"))).toBe("docker ps -q -a --filter label=service=app --filter label=destination= --filter label=role=web | xargs -r docker container rm -f");
    expect(render(removeAllContainers(makeConfig({}, { destination: "staging" }), "workers"))).toBe(
      "docker ps -q -a --filter label=service=app --filter label=destination=staging --filter label=role=workers | xargs -r docker container rm -f",
    );
  });

  test("the apps installed on a server", () => {
    expect(render(server.listAppDirectories(makeConfig()))).toBe("ls .kamal/apps 2>/dev/null");
  });
});

describe("proxy probes", () => {
  test("the image the proxy runs or would boot from its files", () => {
    expect(render(proxy.imageOrBootFilesImage(".kamal", { image: "ghcr.io/x/sextant-proxy", version: "v1.2.3" }))).toBe(
      `docker container inspect kamal-proxy --format '{{.Config.Image}}' 2>/dev/null || echo "$(cat .kamal/proxy/image 2>/dev/null || echo ghcr.io/x/sextant-proxy):$(cat .kamal/proxy/image_version 2>/dev/null || echo v1.2.3)"`,
    );
  });

  test("files handed to the proxy's user", () => {
    expect(render(proxy.giveToProxyUser(["d/cert.pem", "d/key.pem"]))).toBe("chown 1000:1000 d/cert.pem d/key.pem 2>/dev/null");
  });
});

describe("accessory removal", () => {
  const config = makeConfig({ accessories: { mysql: { image: "mysql:8", host: "1.1.1.5" } } }, { destination: "staging" });
  const mysql = accessoryCommands(config, config.accessory("mysql")!);
  test("env file, then the env directories only when empty", () => {
    expect(render(mysql.removeEnvFile())).toBe("rm -f .kamal/apps/app-staging/env/accessories/mysql.env");
    expect(render(mysql.removeEmptyEnvDirectories())).toBe("rmdir .kamal/apps/app-staging/env/accessories .kamal/apps/app-staging/env .kamal/apps/app-staging 2>/dev/null");
  });
});

describe("stale-container check", () => {
  test("running versions, a marker line, then the current version, in one command", () => {
    const config = makeConfig();
    const app = appCommands(config, config.role("web")!, "1.1.1.1");
    expect(render(app.versionsThenCurrent())).toBe(`${render(app.listVersions())}; echo ---; ${render(app.currentRunningVersion())}`);
    expect(render(app.versionsThenCurrent())).toStartWith(
      `docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "{{.Names}}" | while read line; do echo \${line#app-web-}; done; echo ---; sh -c 'docker ps --latest`,
    );
  });
});
