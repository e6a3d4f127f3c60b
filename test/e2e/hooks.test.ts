/**
 * The nine hooks, from a custom hooks_path: when each runs, with Kamal's KAMAL_* variables (secrets
 * only for pre-connect, pre-deploy and post-deploy; KAMAL_HOSTS per boot group and reboot group),
 * --skip-hooks, and a failing hook: the command stops with the hook's output, releases the lock and
 * leaves the running version serving.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOOK_NAMES } from "../../src/commands/hooks.ts";
import { isolateCache, ok, release, served, serviceYml } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { testbed } from "../support/testbed.ts";

const bed = testbed();
const [web1, web2] = bed.hosts as [string, string];
const SERVICE = "hooked";
const HOOKS = HOOK_NAMES;
let project: Project;
let log: string;
let failMarker: string;
let version: string;

interface HookRun {
  name: string;
  env: Record<string, string>;
}

/** The hooks that ran since the last call, in order, with their environment. */
function hooksRun(): HookRun[] {
  if (!existsSync(log)) return [];
  const text = readFileSync(log, "utf8");
  rmSync(log);
  return text
    .split("== ")
    .filter(Boolean)
    .map((block) => {
      const [name, ...lines] = block.trim().split("\n");
      return { name: name!, env: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])) };
    });
}

const sextant = (args: string[]) => project.sextant(args, { env: { HOOK_SECRET_VALUE: "s3cret-value" } });

beforeAll(async () => {
  project = await makeProject(bed, {
    "config/deploy.yml": serviceYml(bed, {
      service: SERVICE,
      roles: { web: [web1, web2] },
      extra: "hooks_path: ops/hooks\nboot:\n  limit: 1\n",
    }),
    ".kamal/secrets": "KAMAL_REGISTRY_PASSWORD=$DEMO_REGISTRY_PASSWORD\nHOOK_SECRET=$HOOK_SECRET_VALUE\n",
  });
  isolateCache(project, bed);
  log = join(project.dir, "..", "hooks.log");
  failMarker = join(project.dir, "..", "fail-pre-deploy");
  for (const hook of HOOKS) {
    const failing = hook === "pre-deploy" ? `[ -e ${failMarker} ] && { echo "migrations are pending"; exit 3; }\n` : "";
    project.write(`ops/hooks/${hook}`, `#!/bin/sh\n${failing}{ echo "== ${hook}"; env | grep -E '^(KAMAL_|HOOK_SECRET=)' | sort; } >> ${log}\n`);
    chmodSync(join(project.dir, "ops/hooks", hook), 0o755);
  }
  // The default place is not used when hooks_path is set.
  project.write(".kamal/hooks/pre-deploy", `#!/bin/sh\necho "== wrong-path" >> ${log}\n`);
  chmodSync(join(project.dir, ".kamal/hooks/pre-deploy"), 0o755);
  version = await release(project, SERVICE, "1");
}, 60_000);

afterAll(async () => {
  await sextant(["remove", "-y", "--skip-hooks"]);
  project?.cleanup();
}, 120_000);

describe("hooks", () => {
  test("setup runs pre-connect, docker-setup, pre-build, pre-deploy, the boot hooks per group and post-deploy", async () => {
    ok(await sextant(["setup"]));
    const runs = hooksRun();
    expect(runs.map((r) => r.name)).toEqual(["pre-connect", "docker-setup", "pre-build", "pre-deploy", "pre-app-boot", "post-app-boot", "pre-app-boot", "post-app-boot", "post-deploy"]);
    const [preConnect, , preBuild, preDeploy, preBoot1, , preBoot2, , postDeploy] = runs as HookRun[] & { length: 9 };
    for (const r of runs) {
      expect(r.env).toMatchObject({
        KAMAL_SERVICE: SERVICE,
        KAMAL_VERSION: version,
        KAMAL_SERVICE_VERSION: `${SERVICE}@${version.slice(0, 7)}`,
        KAMAL_COMMAND: "setup",
      });
      expect(r.env.KAMAL_PERFORMER).toBeTruthy();
      expect(r.env.KAMAL_RECORDED_AT).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(r.env.KAMAL_ROLES).toBeUndefined();
      expect(r.env.KAMAL_SUBCOMMAND).toBeUndefined();
    }
    // Secrets only for pre-connect, pre-deploy and post-deploy.
    expect(preConnect!.env.HOOK_SECRET).toBe("s3cret-value");
    expect(preDeploy!.env.HOOK_SECRET).toBe("s3cret-value");
    expect(postDeploy!.env.HOOK_SECRET).toBe("s3cret-value");
    expect(preBuild!.env.HOOK_SECRET).toBeUndefined();
    expect(preBoot1!.env.HOOK_SECRET).toBeUndefined();
    // Hosts: all of them, or the boot group (boot.limit: 1).
    expect(preConnect!.env.KAMAL_HOSTS).toBe(`${web1},${web2}`);
    expect(preBoot1!.env.KAMAL_HOSTS).toBe(web1);
    expect(preBoot2!.env.KAMAL_HOSTS).toBe(web2);
    // The lock is held from pre-deploy on, released before post-deploy, which gets the runtime.
    expect(preConnect!.env.KAMAL_LOCK).toBe("false");
    expect(preDeploy!.env.KAMAL_LOCK).toBe("true");
    expect(postDeploy!.env.KAMAL_LOCK).toBe("false");
    expect(postDeploy!.env.KAMAL_RUNTIME).toMatch(/^\d+$/);
    expect(preDeploy!.env.KAMAL_RUNTIME).toBeUndefined();
  }, 120_000);

  test("server bootstrap runs docker-setup; proxy reboot the proxy hooks per group; app boot -r names the roles", async () => {
    ok(await sextant(["server", "bootstrap"]));
    const bootstrap = hooksRun();
    expect(bootstrap.map((r) => r.name)).toEqual(["pre-connect", "docker-setup"]);
    expect(bootstrap[1]!.env).toMatchObject({ KAMAL_COMMAND: "server", KAMAL_SUBCOMMAND: "bootstrap", KAMAL_HOSTS: `${web1},${web2}`, KAMAL_LOCK: "true" });

    ok(await sextant(["proxy", "reboot", "-y"]));
    const reboot = hooksRun().filter((r) => r.name !== "pre-connect");
    expect(reboot.map((r) => [r.name, r.env.KAMAL_HOSTS])).toEqual([
      ["pre-proxy-reboot", `${web1},${web2}`],
      ["post-proxy-reboot", `${web1},${web2}`],
    ]);
    expect(reboot[0]!.env).toMatchObject({ KAMAL_COMMAND: "proxy", KAMAL_SUBCOMMAND: "reboot" });

    ok(await sextant(["app", "boot", "-r", "web", "-h", web2]));
    const boot = hooksRun().filter((r) => r.name !== "pre-connect");
    expect(boot.map((r) => r.name)).toEqual(["pre-app-boot", "post-app-boot"]);
    expect(boot[0]!.env).toMatchObject({ KAMAL_COMMAND: "app", KAMAL_SUBCOMMAND: "boot", KAMAL_ROLES: "web", KAMAL_HOSTS: web2, KAMAL_VERSION: "latest" });
  }, 120_000);

  test("--skip-hooks runs none", async () => {
    ok(await sextant(["redeploy", "-P", "--skip-hooks"]));
    expect(hooksRun()).toEqual([]);
    ok(await sextant(["proxy", "reboot", "-y", "-H", "-h", web1]));
    expect(hooksRun()).toEqual([]);
  }, 120_000);

  test("a failing hook stops the command with its output, releases the lock, and the app keeps serving", async () => {
    writeFileSync(failMarker, "");
    await release(project, SERVICE, "2");
    const r = await sextant(["deploy"]);
    rmSync(failMarker);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Hook `pre-deploy` failed (exit 3)");
    expect(r.stderr).toContain("migrations are pending");
    expect(r.stderr).toContain("--skip-hooks");
    const ran = hooksRun().map((h) => h.name);
    expect(ran).not.toContain("pre-app-boot");
    expect(ran).not.toContain("post-deploy");
    expect(ok(await sextant(["lock", "status"])).stdout).toContain("There is no deploy lock");
    expect(await served(web1)).toBe("1");

    const notExecutable = join(project.dir, "ops/hooks/pre-connect");
    chmodSync(notExecutable, 0o644);
    const r2 = await sextant(["app", "details"]);
    chmodSync(notExecutable, 0o755);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("Hook `pre-connect` is not executable");
    expect(r2.stderr).toContain("chmod +x ops/hooks/pre-connect");
  }, 120_000);
});
