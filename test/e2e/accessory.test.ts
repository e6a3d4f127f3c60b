/**
 * Accessories end to end: `setup` boots a key-value store accessory (a busybox `nc` server whose
 * data lives in a mounted directory) next to the app; the app reaches it by name over the kamal
 * network; a file (ERB rendered) and the env file arrive with their content and mode; the data
 * survives `accessory reboot`; a reboot that cannot start the new container puts the old one back;
 * `accessory remove` and `remove` clean up.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSYBOX, buildAndPush } from "../support/images.ts";
import { registryYml, SSH_YML } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { builderEnv, onHost, runOk, testbed } from "../support/testbed.ts";

const bed = testbed();
const [web1, other] = bed.hosts as [string, string];
const SERVICE = "accy";
const KV = `${SERVICE}-kv`;
const TOKEN = `kv-token-${Math.random().toString(36).slice(2)}`;
const KV_IMAGE = `${bed.registry}/e2e/accy-kv:1`;

/** A tiny key-value store: `SET key value` / `GET key` lines over TCP 6379, one file per key in /data. */
async function buildKvImage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sextant-kv-"));
  try {
    copyFileSync(BUSYBOX, join(dir, "busybox"));
    writeFileSync(
      join(dir, "kv.sh"),
      [
        "read -r cmd key value",
        "key=$(echo \"$key\" | tr -cd 'A-Za-z0-9_-')",
        'case "$cmd" in',
        '  SET) printf \'%s\' "$value" > "/data/$key" && echo OK ;;',
        '  GET) if [ -f "/data/$key" ]; then cat "/data/$key"; echo; else echo NIL; fi ;;',
        "  *) echo ERR ;;",
        "esac",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM scratch",
        "COPY busybox /bin/busybox",
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
        "COPY kv.sh /kv.sh",
        "EXPOSE 6379",
        `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; mkdir -p /data; nc -ll -p 6379 -e sh /kv.sh & wait"]`,
        "",
      ].join("\n"),
    );
    await runOk(["docker", "build", "-q", "-t", KV_IMAGE, dir], { env: builderEnv(bed) });
    await runOk(["docker", "push", "-q", KV_IMAGE], { env: builderEnv(bed) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function deployYml(extraKvOptions = ""): string {
  return `
service: ${SERVICE}
image: e2e/accy
servers:
  web:
    hosts:
      - ${web1}
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
${registryYml(bed)}builder:
  arch: amd64
accessories:
  kv:
    image: e2e/accy-kv:1
    registry:
      server: ${bed.registry}
      username: ${bed.registryUser}
      password:
        - KAMAL_REGISTRY_PASSWORD
    role: web
    env:
      clear:
        KV_NAME: kv-store
      secret:
        - KV_TOKEN
    files:
      - local: config/kv.conf.erb
        remote: /etc/kv.conf
        mode: "0640"
      - config/motd:/etc/motd
    directories:
      - data:/data
    labels:
      purpose: e2e
${extraKvOptions}
  probe:
    image: e2e/accy-kv:1
    registry:
      server: ${bed.registry}
      username: ${bed.registryUser}
      password:
        - KAMAL_REGISTRY_PASSWORD
    hosts:
      - ${other}
    port: "127.0.0.1:16379:6379"
    volumes:
      - accy-probe-data:/data
    network: accy-probe-net
    options:
      memory: 64m
  site:
    image: e2e/accy-site:1
    registry:
      server: ${bed.registry}
      username: ${bed.registryUser}
      password:
        - KAMAL_REGISTRY_PASSWORD
    host: ${other}
    proxy:
      host: site.accy.test
      app_port: 80
      healthcheck:
        path: /up
        interval: 1
${SSH_YML}deploy_timeout: 10
drain_timeout: 1
readiness_delay: 0
`;
}

let project: Project;

async function sextant(args: string[]) {
  const result = await project.sextant(args, { env: { KV_TOKEN_VALUE: TOKEN }, timeoutMs: 120_000 });
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(TOKEN);
  expect(output).not.toContain(bed.registryPassword);
  return { ...result, output };
}

/** Talk to the kv store from inside the app's container, by the accessory's name on the kamal network. */
async function kvFromApp(line: string): Promise<string> {
  const result = await onHost(bed, web1, `docker exec $(docker ps -q --filter label=service=${SERVICE} --filter label=role=web | head -1) /bin/busybox sh -c 'echo "${line}" | /bin/busybox nc ${KV} 6379'`);
  expect(result.stderr).toBe("");
  return result.stdout.trim();
}

beforeAll(async () => {
  await buildKvImage();
  await buildAndPush(bed, "e2e/accy-site", "1", { files: { "index.html": "accessory site\n", up: "ok\n" } });
  project = await makeProject(bed, {
    "config/deploy.yml": deployYml(),
    ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\nKV_TOKEN=$KV_TOKEN_VALUE\n",
    "config/kv.conf.erb": 'name=<%= ENV["KV_NAME"] %>\ntoken=<%= ENV["KV_TOKEN"] %>\n',
    "config/motd": "welcome to the kv store\n",
  });
}, 120_000);

afterAll(async () => {
  if (project) {
    const removed = await project.sextant(["remove", "-y"], { timeoutMs: 60_000 });
    if (removed.code !== 0) console.error(removed.stdout + removed.stderr);
    project.cleanup();
  }
  await onHost(bed, web1, `docker rm -f ${KV} >/dev/null 2>&1; rm -rf ${KV}`);
  await onHost(bed, other, `docker rm -f ${SERVICE}-probe ${SERVICE}-site >/dev/null 2>&1; docker volume rm accy-probe-data >/dev/null 2>&1; docker network rm accy-probe-net >/dev/null 2>&1; true`);
}, 90_000);

describe("accessories", () => {
  test("setup boots the accessories with the app; the app reaches the store by name", async () => {
    const result = await sextant(["setup"]);
    expect(result.output).toContain("Boot accessories");
    expect(result.code).toBe(0);
    expect(await kvFromApp("SET greeting hello-from-app")).toBe("OK");
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
    // The accessory on another host, with a published port and a named volume.
    const probe = await onHost(
      bed,
      other,
      `echo 'SET p 1' | busybox nc 127.0.0.1 16379 && docker inspect ${SERVICE}-probe --format '{{range .Mounts}}{{.Name}}{{end}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}} {{.HostConfig.Memory}}'`,
    );
    expect(probe.stdout.trim().split("\n")).toEqual(["OK", `accy-probe-data accy-probe-net ${64 * 1024 * 1024}`]);
  }, 180_000);

  test("files arrive with their content and mode; the env file is 0600; labels and env are set", async () => {
    const onDisk = await onHost(bed, web1, `stat -c '%a' ${KV}/etc/kv.conf ${KV}/etc/motd .kamal/apps/${SERVICE}/env/accessories/kv.env && cat ${KV}/etc/kv.conf`);
    expect(onDisk.stdout.trim().split("\n")).toEqual(["640", "755", "600", "name=kv-store", `token=${TOKEN}`]);
    const inside = await onHost(
      bed,
      web1,
      `docker exec ${KV} sh -c 'cat /etc/motd; echo "$KV_NAME $KV_TOKEN"' && docker inspect ${KV} --format '{{index .Config.Labels "purpose"}} {{index .Config.Labels "service"}}'`,
    );
    expect(inside.stdout.trim().split("\n")).toEqual(["welcome to the kv store", `kv-store ${TOKEN}`, `e2e ${KV}`]);
  });

  test("details, logs, exec", async () => {
    const details = await sextant(["accessory", "details", "kv"]);
    expect(details.code).toBe(0);
    expect(details.stdout).toContain(`Accessory kv Host: ${web1}`);
    expect(details.stdout).toContain(KV);
    const exec = await sextant(["accessory", "exec", "kv", "--reuse", "cat", "/data/greeting"]);
    expect(exec.code).toBe(0);
    expect(exec.stdout).toContain("hello-from-app");
    const fresh = await sextant(["accessory", "exec", "kv", "cat /etc/motd"]);
    expect(fresh.stdout).toContain("welcome to the kv store");
    // -i hands over to the system ssh client (no terminal here, so docker exec -i)
    const interactive = await sextant(["accessory", "exec", "kv", "-i", "--reuse", "cat /etc/motd"]);
    expect(interactive.code).toBe(0);
    expect(interactive.stdout).toContain("welcome to the kv store");
    const unconfirmed = await sextant(["accessory", "remove", "kv"]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.output).toContain("needs confirmation");
    const logs = await sextant(["accessory", "logs", "kv", "-n", "5"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(`Accessory kv Host: ${web1}`);
  }, 60_000);

  test("a proxied accessory is served by the proxy on its host; stop takes it out, start puts it back", async () => {
    const site = () => onHost(bed, other, "curl -s -o /dev/null -w '%{http_code}' -H 'Host: site.accy.test' http://127.0.0.1/; echo; curl -s -H 'Host: site.accy.test' http://127.0.0.1/");
    expect((await site()).stdout.trim().split("\n")).toEqual(["200", "accessory site"]);
    const stop = await sextant(["accessory", "stop", "site"]);
    expect(stop.code).toBe(0);
    expect((await site()).stdout.trim().split("\n")[0]).not.toBe("200");
    const start = await sextant(["accessory", "start", "site"]);
    expect(start.code).toBe(0);
    expect((await site()).stdout.trim().split("\n")).toEqual(["200", "accessory site"]);
  }, 60_000);

  test("the data survives a reboot and a restart", async () => {
    const before = (await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}}'`)).stdout.trim();
    const reboot = await sextant(["accessory", "reboot", "kv"]);
    expect(reboot.code).toBe(0);
    const after = (await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}}'`)).stdout.trim();
    expect(after).not.toBe(before);
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
    const restart = await sextant(["accessory", "restart", "kv"]);
    expect(restart.code).toBe(0);
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
    const upgrade = await sextant(["accessory", "upgrade", "kv", "--rolling", "-y"]);
    expect(upgrade.code).toBe(0);
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
    // boot again: the container exists, so it is skipped
    const boot = await sextant(["accessory", "boot", "kv"]);
    expect(boot.code).toBe(0);
    expect(boot.output).toContain(`Skipping booting \`kv\` on ${web1}, a container already exists`);
  }, 120_000);

  test("a reboot whose new container cannot start keeps the old one serving", async () => {
    project.write("config/deploy.yml", deployYml('    options:\n      memory: "lots"'));
    await project.commit("broken accessory options");
    const before = (await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}}'`)).stdout.trim();
    const reboot = await sextant(["accessory", "reboot", "kv"]);
    expect(reboot.code).toBe(1);
    expect(reboot.output).toContain(`cannot start accessory kv on ${web1}`);
    expect(reboot.output).toContain("restoring the previous container");
    const state = (await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}} {{.State.Running}}'; docker ps -a --filter label=service=${KV} -q | wc -l`)).stdout.trim().split("\n");
    expect(state).toEqual([`${before} true`, "1"]);
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
    project.write("config/deploy.yml", deployYml());
    await project.commit("fixed accessory options");
  }, 60_000);

  test("errors: unknown accessory, a missing secret; the running accessory is untouched", async () => {
    const unknown = await sextant(["accessory", "boot", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain("No accessory by the name of 'nope' (options: kv, probe, and site)");
    const before = (await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}}'`)).stdout.trim();
    project.write(".kamal/secrets", "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\n");
    const noSecret = await sextant(["accessory", "reboot", "kv"]);
    project.write(".kamal/secrets", "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\nKV_TOKEN=$KV_TOKEN_VALUE\n");
    expect(noSecret.code).toBe(1);
    expect(noSecret.output).toContain("Secret 'KV_TOKEN' not found");
    expect((await onHost(bed, web1, `docker inspect ${KV} --format '{{.Id}}'`)).stdout.trim()).toBe(before);
    expect(await kvFromApp("GET greeting")).toBe("hello-from-app");
  }, 90_000);

  test("accessory remove takes the container, the image and the data directory", async () => {
    const result = await sextant(["accessory", "remove", "kv", "-y"]);
    expect(result.code).toBe(0);
    const left = await onHost(bed, web1, `docker ps -a --filter label=service=${KV} -q | wc -l; ls -d ${KV} 2>/dev/null | wc -l`);
    expect(left.stdout.trim().split("\n")).toEqual(["0", "0"]);
  }, 60_000);
});
