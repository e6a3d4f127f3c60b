/**
 * Basic auth at the proxy from deploy.yml (`proxy.basic_auth` with a secret), end to end: 401 with a
 * challenge without credentials, the app with them, the health check path open; the password never
 * in a process list on the server, nor in a file there once the deploy is done, nor in the proxy's
 * state (which keeps only its hash).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { page, release, SECRETS, serviceYml, watchProcessLists } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const host = bed.hosts[2]!;
const SERVICE = "guarded";
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
let project: Project;

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const get = (path: string, authorization?: string) =>
  fetch(`http://${host}${path}`, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(5000) }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
    challenge: r.headers.get("www-authenticate"),
  }));

async function sextant(args: string[]) {
  const result = await project.sextant(args, { env: { GUARD_PASSWORD: PASSWORD } });
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, { service: SERVICE, roles: { web: [host] } }).replace(
      "proxy:\n  app_port: 80\n",
      "proxy:\n  app_port: 80\n  basic_auth:\n    username: staff\n    password: BASIC_AUTH_PASSWORD\n",
    ),
    ".kamal/secrets": `${SECRETS}BASIC_AUTH_PASSWORD=$GUARD_PASSWORD\n`,
    "www/index.html": page(SERVICE, "one"),
  });
  await project.commit("one");
}, 60_000);

afterAll(async () => {
  await project.sextant(["remove", "-y"]).catch(() => undefined);
  project.cleanup();
}, 120_000);

describe("proxy.basic_auth", () => {
  test("setup: 401 with a challenge, the app with the credentials, /up open", async () => {
    const setup = await sextant(["setup"]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const none = await get("/");
    expect(none.status).toBe(401);
    expect(none.challenge).toBe(`Basic realm="${SERVICE}-web", charset="UTF-8"`);
    expect((await get("/", basic("staff", "wrong"))).status).toBe(401);
    const ok = await get("/", basic("staff", PASSWORD));
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('id="version">one<');
    expect((await get("/up")).status).toBe(200);
  }, 240_000);

  test("a deploy: the password in no process list, no file left on the server, only its hash in the proxy's state", async () => {
    await release(project, SERVICE, "two");
    const watcher = watchProcessLists(bed, host);
    const result = await sextant(["deploy"]);
    const processLists = watcher.stop();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(processLists).toContain("kamal-proxy deploy");
    expect(processLists).not.toContain(PASSWORD);
    const files = await onHost(bed, host, `grep -rl '${PASSWORD}' .kamal $(docker volume inspect kamal-proxy-config --format '{{.Mountpoint}}') 2>/dev/null; ls .kamal/proxy/apps-config/${SERVICE}`);
    expect(files.stdout).not.toContain("basic_auth");
    expect(files.stdout).not.toContain("/");
    const state = await onHost(bed, host, `cat $(docker volume inspect kamal-proxy-config --format '{{.Mountpoint}}')/kamal-proxy.state`);
    expect(state.stdout).toContain('"username":"staff"');
    expect((await get("/", basic("staff", PASSWORD))).body).toContain('id="version">two<');
    expect((await get("/")).status).toBe(401);
  }, 240_000);
});
