/**
 * Several containers of one role per host (`replicas: N`): N containers per version, all handed to
 * the proxy in one deploy, old ones stopped together; one replica keeps Kamal's exact commands.
 */
import { describe, expect, test } from "bun:test";
import { appCommands } from "../../../src/commands/app.ts";
import { render } from "../../../src/commands/shell.ts";
import { deploy } from "../../../src/orchestration/deploy.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig, role } from "../commands/_config.ts";
import { BASE, loadError } from "../config/helpers.ts";

const H1 = "1.1.1.1";

function setup() {
  const config = makeConfig({ servers: { web: { hosts: [H1], replicas: 3 } }, proxy: { host: "app.example.com" } });
  let n = 0;
  const pool = new RecordingPool().answer(/docker run --detach/, () => `${String(++n).repeat(12)}\n`).answer(/^docker ps --filter label=service=app .*; echo ---; /, "456\n---\n456\n");
  return { config, pool, run: recordingRun(config, pool) };
}

describe("replicas", () => {
  test("deploy: three containers, one proxy deploy with three targets, the old version's replicas stopped after", async () => {
    const { pool, run } = setup();
    await deploy(run, { skipPush: true });
    const cmds = pool.commands(H1);
    const runs = cmds.filter((c) => c.startsWith("docker run --detach"));
    expect(runs.map((c) => c.split(" --name ")[1]!.split(" ")[0])).toEqual(["app-web-999", "app-web-999_replica_2", "app-web-999_replica_3"]);
    const switched = cmds.findIndex((c) => c.startsWith("docker exec kamal-proxy kamal-proxy deploy app-web"));
    expect(cmds[switched]).toContain('--target="111111111111:80" --target="222222222222:80" --target="333333333333:80" --host="app.example.com"');
    expect(cmds.filter((c) => c.includes("kamal-proxy deploy"))).toHaveLength(1);
    const stopOld = cmds.indexOf("docker container ls --all --filter 'name=^app-web-456(_replica_[0-9]+)?$' --quiet | xargs docker stop");
    expect(stopOld).toBeGreaterThan(switched);
  });

  test("the version of a replica's container is its version (the suffix is dropped)", () => {
    const config = makeConfig({ servers: { web: { hosts: [H1], replicas: 2 } } });
    const app = appCommands(config, role(config), H1);
    expect(render(app.listVersions())).toEndWith('--format "{{.Names}}" | while read line; do v=${line#app-web-}; echo ${v%_replica_*}; done | sort -u');
    expect(render(app.rename("999", "999_replaced_ab"))).toBe(
      "for c in $(docker container ls --all --filter 'name=^app-web-999(_replica_[0-9]+)?$' --format '{{.Names}}'); do docker rename $c app-web-999_replaced_ab${c#app-web-999} ; done",
    );
    expect(render(app.start())).toBe("docker container ls --all --filter 'name=^app-web-999(_replica_[0-9]+)?$' --quiet | xargs docker start");
  });

  test("one replica: Kamal's commands, unchanged", () => {
    const config = makeConfig({ servers: { web: [H1] } });
    const app = appCommands(config, role(config), H1);
    expect(render(app.start())).toBe("docker start app-web-999");
    expect(render(app.listVersions())).toEndWith('--format "{{.Names}}" | while read line; do echo ${line#app-web-}; done');
    expect(render(app.stop({ version: "1" }))).toBe("docker container ls --all --filter 'name=^app-web-1$' --quiet | xargs docker stop");
  });

  test("bad counts and published ports are refused at load", () => {
    expect(loadError(`${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    hosts: [ 1.1.1.1 ]\n    replicas: 0\n")}`).message).toContain(
      "servers/web/replicas: replicas must be a whole number from 1 to 32 (got 0)",
    );
    expect(loadError(`${BASE.replace("servers:\n  - 1.1.1.1\n", "servers:\n  web:\n    hosts: [ 1.1.1.1 ]\n    replicas: 2\n    options:\n      publish: 8080:80\n")}`).message).toContain(
      "replicas cannot publish ports",
    );
  });
});
