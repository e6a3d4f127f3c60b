/**
 * `accessory boot` and `accessory reboot`: boot logs in, creates the network, skips
 * hosts where a container exists, creates directories and uploads files on every host, then writes
 * the env file (0600) and runs the container. Reboot pulls first and keeps the old container,
 * stopped and renamed, until the new one runs; when the new one fails the old one is put back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Raw } from "../../../src/config/model.ts";
import { bootAccessory, rebootAccessory } from "../../../src/orchestration/accessory.ts";
import { RecordingPool, recordingRun } from "../../support/recording.ts";
import { makeConfig } from "../commands/_config.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "accessory-sequence-"));
  writeFileSync(join(dir, "my.cnf"), "[mysqld]\nbind-address = 0.0.0.0\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOST = "1.1.1.3";
const RUN =
  'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env KAMAL_HOST="1.1.1.3" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf --volume $PWD/app-mysql/data:/var/lib/mysql --label service="app-mysql" mysql:8';
const RUNNING = "docker container inspect app-mysql --format '{{.State.Running}}'";
const EXISTS = "docker container inspect app-mysql --format '{{.Id}}'";

function setup(mysql: Raw = {}) {
  const config = makeConfig({
    servers: ["1.1.1.1"],
    accessories: {
      mysql: {
        image: "mysql:8",
        host: HOST,
        port: 3306,
        env: { clear: { MYSQL_ROOT_HOST: "%" } },
        files: [{ local: join(dir, "my.cnf"), remote: "/etc/mysql/my.cnf", mode: "0644", owner: "999:999" }],
        directories: [{ local: "data", remote: "/var/lib/mysql", mode: "0700", owner: "999" }],
        ...mysql,
      },
    },
  });
  const pool = new RecordingPool();
  return { accessory: config.accessory("mysql")!, pool, run: recordingRun(config, pool, { command: "accessory" }) };
}

/** The commands of a boot after the network exists, on a host without a container of it. */
const BOOT_ON_HOST = [
  "mkdir -p app-mysql/data",
  "chmod 0700 app-mysql/data",
  "chown 999 app-mysql/data",
  "mkdir -p app-mysql/etc/mysql",
  "upload app-mysql/etc/mysql/my.cnf (644)",
  "chmod 0644 app-mysql/etc/mysql/my.cnf",
  "chown 999:999 app-mysql/etc/mysql/my.cnf",
  "AUDIT Booted mysql accessory",
  "mkdir -p .kamal/apps/app/env/accessories",
  "upload .kamal/apps/app/env/accessories/mysql.env (600)",
  RUN,
];

describe("accessory boot", () => {
  test("login, network, existing check, directories, files, env file (0600), docker run", async () => {
    const { accessory, pool, run } = setup();
    await bootAccessory(run, accessory);
    expect(pool.script(HOST)).toEqual(['docker login -u "dhh" --password-stdin', "docker network create kamal", "docker ps -a -q --filter label=service=app-mysql", ...BOOT_ON_HOST]);
    expect(pool.uploads(HOST).find((u) => u.command.startsWith("upload app-mysql/etc/mysql/my.cnf"))?.content).toBe("[mysqld]\nbind-address = 0.0.0.0\n");
    const envFile = pool.uploads(HOST).find((u) => u.command.includes("mysql.env"));
    expect(envFile?.mode).toBe(0o600);
    // Only secrets go in the env file; clear values are on the command line.
    expect(envFile?.content).not.toContain("MYSQL_ROOT_HOST");
  });

  test("a host with a container already is skipped, but still gets the directories and files", async () => {
    const { accessory, pool, run } = setup({ host: undefined, hosts: [HOST, "1.1.1.4"] });
    pool.answer("docker ps -a -q --filter label=service=app-mysql", "0123456789ab\n", { host: "1.1.1.4" });
    await bootAccessory(run, accessory);
    expect(run.events.events).toContainEqual({ type: "info", message: "Skipping booting `mysql` on 1.1.1.4, a container already exists" });
    expect(pool.commands("1.1.1.4")).toContain("upload app-mysql/etc/mysql/my.cnf (644)");
    expect(pool.matching("docker run").map((r) => r.host)).toEqual([HOST]);
    expect(pool.commands("1.1.1.4").filter((c) => c.includes("mysql.env"))).toEqual([]);
  });

  test("a docker run that fails removes the half-created container and names the host", async () => {
    const { accessory, pool, run } = setup();
    pool.answer("docker run --name app-mysql", { code: 125, stderr: "Bind for 0.0.0.0:3306 failed: port is already allocated" });
    await expect(bootAccessory(run, accessory)).rejects.toThrow("cannot start accessory mysql on 1.1.1.3: Bind for 0.0.0.0:3306 failed: port is already allocated");
    expect(pool.commands(HOST).at(-1)).toBe("docker container rm --force app-mysql");
  });

  test("a proxied accessory is deployed to the proxy once its container runs", async () => {
    const { accessory, pool, run } = setup({ port: undefined, proxy: { host: "db.example.com", app_port: 8080 } });
    pool.answer("docker container ls --all --filter 'name=^app-mysql$' --quiet", "cccccccccccc\n");
    await bootAccessory(run, accessory);
    const commands = pool.commands(HOST);
    const started = commands.findIndex((c) => c.startsWith("docker run --name app-mysql"));
    expect(commands.slice(started + 1)).toEqual([
      "docker container ls --all --filter 'name=^app-mysql$' --quiet",
      expect.stringMatching(/^docker exec kamal-proxy kamal-proxy deploy app-mysql --target="cccccccccccc:8080" --host="db\.example\.com" /),
    ]);
  });
});

describe("accessory reboot", () => {
  /** A running mysql container exists on the host. */
  function running(pool: RecordingPool) {
    pool.answer(RUNNING, "true\n").answer(EXISTS, "'sha256:0123'\n");
  }

  test("pulls first, then stops and renames the old container, boots the new one, and only then removes the old one", async () => {
    const { accessory, pool, run } = setup();
    running(pool);
    await rebootAccessory(run, accessory);
    const script = pool.script(HOST);
    const old =
      script
        .find((c) => c.startsWith("docker container rename"))
        ?.split(" ")
        .at(-1) ?? "";
    expect(old).toMatch(/^app-mysql_replaced_[0-9a-f]{16}$/);
    expect(script).toEqual([
      'docker login -u "dhh" --password-stdin',
      "docker network create kamal",
      "docker image pull mysql:8",
      RUNNING,
      EXISTS,
      "AUDIT Rebooted mysql accessory",
      "docker container stop app-mysql",
      `docker container rename app-mysql ${old}`,
      ...BOOT_ON_HOST,
      `docker container rm --force ${old}`,
    ]);
  });

  test("a new container that fails to run is removed and the old one is renamed back and started", async () => {
    const { accessory, pool, run } = setup();
    running(pool);
    pool.answer("docker run --name app-mysql", { code: 125, stderr: "Bind for 0.0.0.0:3306 failed: port is already allocated" });
    await expect(rebootAccessory(run, accessory)).rejects.toThrow("cannot start accessory mysql on 1.1.1.3");
    const commands = pool.commands(HOST);
    const old =
      commands
        .find((c) => c.startsWith("docker container rename app-mysql "))
        ?.split(" ")
        .at(-1) ?? "";
    // (The failed run already removes its container; the restore makes sure before renaming back.)
    expect(commands.slice(commands.indexOf(RUN) + 1).slice(-3)).toEqual(["docker container rm --force app-mysql", `docker container rename ${old} app-mysql`, "docker container start app-mysql"]);
    expect(run.events.events).toContainEqual({ type: "warn", message: "Reboot of mysql failed on 1.1.1.3; restoring the previous container" });
  });

  test("an old container that was stopped is put back stopped", async () => {
    const { accessory, pool, run } = setup();
    pool.answer(RUNNING, "false\n").answer(EXISTS, "'sha256:0123'\n");
    pool.answer("docker run --name app-mysql", { code: 125, stderr: "no space left on device" });
    await expect(rebootAccessory(run, accessory)).rejects.toThrow("no space left on device");
    const commands = pool.commands(HOST);
    expect(commands.at(-1)).toMatch(/^docker container rename app-mysql_replaced_[0-9a-f]{16} app-mysql$/);
    expect(commands).not.toContain("docker container start app-mysql");
  });

  test("a failed pull with no local image stops before the running container is touched", async () => {
    const { accessory, pool, run } = setup();
    running(pool);
    pool.answer("docker image pull mysql:8", { code: 1, stderr: "manifest unknown" });
    pool.answer("docker image inspect mysql:8", { code: 1, stderr: "No such image" });
    await expect(rebootAccessory(run, accessory)).rejects.toThrow("cannot pull mysql:8 on 1.1.1.3: manifest unknown");
    expect(pool.commands(HOST).filter((c) => /docker container (stop|rename|rm)|docker run/.test(c))).toEqual([]);
  });

  test("no container yet: nothing to stop or keep, the accessory is just booted", async () => {
    const { accessory, pool, run } = setup();
    pool.answer(EXISTS, { code: 1, stderr: "Error: No such container: app-mysql" });
    await rebootAccessory(run, accessory);
    const commands = pool.commands(HOST);
    expect(commands.filter((c) => /docker container (stop|rename|rm)/.test(c))).toEqual([]);
    expect(commands.at(-1)).toBe(RUN);
  });

  test("a proxied accessory leaves the proxy before its old container stops", async () => {
    const { accessory, pool, run } = setup({ port: undefined, proxy: { host: "db.example.com", app_port: 8080 } });
    running(pool);
    pool.answer("docker container ls --all --filter 'name=^app-mysql$' --quiet", "cccccccccccc\n");
    await rebootAccessory(run, accessory);
    const remove = pool.indexOf(HOST, "docker exec kamal-proxy kamal-proxy remove app-mysql");
    expect(remove).toBeGreaterThan(-1);
    expect(remove).toBeLessThan(pool.indexOf(HOST, "docker container stop app-mysql"));
    expect(pool.indexOf(HOST, "kamal-proxy deploy app-mysql")).toBeGreaterThan(pool.indexOf(HOST, "docker run --name app-mysql"));
  });
});
