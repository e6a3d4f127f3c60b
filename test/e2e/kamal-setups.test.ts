/**
 * Kamal project set-ups that must work unchanged, end to end on the bed: a destination with its
 * own config and secrets file (`-d staging`), `readiness_delay` and `stop_timeout` on a worker
 * role, and a deploy as a non-root SSH user who is in the `docker` group.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { page, registryYml, release, SECRETS, served } from "../support/ops.ts";
import { makeProject, type Project } from "../support/project.ts";
import { onHost, run, testbed } from "../support/testbed.ts";

const bed = testbed();
const stagingHost = bed.hosts[1]!;
const userHost = bed.hosts[2]!;
const STAGE_SECRET = `staging-only-${Math.random().toString(36).slice(2)}`;
const DEPLOY_USER = "sxdeploy";

/** The shared part of both projects' deploy.yml (no servers: the destination file adds them). */
function baseYml(service: string, sshUser: string): string {
  return `service: ${service}
image: e2e/${service}
proxy:
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
${registryYml(bed)}builder:
  arch: amd64
ssh:
  user: ${sshUser}
  config: <%= ENV.fetch("DEMO_SSH_CONFIG") %>
deploy_timeout: 20
drain_timeout: 1
`;
}

// The worker takes 3 s to shut down after SIGTERM: with stop_timeout 1, docker kills it (137);
// with docker's default of 10 s it would exit 0 on its own.
const SLOW_WORKER = `/bin/busybox sh -c "trap '/bin/busybox sleep 3; exit 0' TERM; while true; do /bin/busybox sleep 1; done"`;

describe("a destination with its own config and secrets (-d staging)", () => {
  let project: Project;
  const versions: string[] = [];
  const sextant = async (args: string[]) => {
    const result = await project.sextant(args, { env: { STAGE_VALUE: STAGE_SECRET } });
    expect(result.stdout + result.stderr).not.toContain(STAGE_SECRET);
    return { ...result, output: result.stdout + result.stderr };
  };

  beforeAll(async () => {
    project = await makeProject(bed, {
      "config/deploy.yml": baseYml("stage", "root"),
      "config/deploy.staging.yml": `servers:
  web:
    - ${stagingHost}
  jobs:
    hosts:
      - ${stagingHost}
    proxy: false
    cmd: ${SLOW_WORKER}
env:
  clear:
    STAGE: staging
  secret:
    - STAGE_SECRET
readiness_delay: 2
stop_timeout: 1
`,
      ".kamal/secrets-common": SECRETS,
      ".kamal/secrets.staging": "STAGE_SECRET=$STAGE_VALUE\n",
      // Never read with -d staging (Kamal reads secrets-common and secrets.DESTINATION).
      ".kamal/secrets": "STAGE_SECRET=from-the-wrong-file\n",
      "www/index.html": page("stage", "one"),
    });
    versions.push(await project.commit("one"));
  });

  afterAll(async () => {
    await project.sextant(["remove", "-d", "staging", "-y"]).catch(() => undefined);
    project.cleanup();
  });

  test("setup -d staging: destination names, the destination's secrets file, readiness_delay on the worker", async () => {
    const result = await sextant(["setup", "-d", "staging", "-v"]);
    expect(result.code, result.output).toBe(0);
    expect(await served(stagingHost)).toBe("one");
    const names = await onHost(bed, stagingHost, "docker ps --filter label=service=stage --filter label=destination=staging --format '{{.Names}}' | sort");
    expect(names.stdout.trim().split("\n")).toEqual([`stage-jobs-staging-${versions[0]}`, `stage-web-staging-${versions[0]}`]);
    const env = await onHost(bed, stagingHost, `docker exec stage-web-staging-${versions[0]} /bin/busybox env`);
    expect(env.stdout).toContain(`STAGE_SECRET=${STAGE_SECRET}\n`);
    expect(env.stdout).toContain("STAGE=staging\n");
    expect(env.stdout).toContain("KAMAL_DESTINATION=staging\n");
    const file = await onHost(bed, stagingHost, "stat -c '%a' .kamal/apps/stage-staging/env/roles/web.env");
    expect(file.stdout.trim()).toBe("600");
    // The worker had no proxy health check: it was given its readiness delay.
    expect(result.output).toContain(`Container is running on ${stagingHost}, waiting for readiness delay of 2 seconds`);
  });

  test("deploy -d staging: stop_timeout bounds how long the old worker may take to stop", async () => {
    versions.push(await release(project, "stage", "two"));
    const result = await sextant(["deploy", "-d", "staging", "-v"]);
    expect(result.code, result.output).toBe(0);
    expect(await served(stagingHost)).toBe("two");
    expect(result.output).toContain(`--filter 'name=^stage-jobs-staging-${versions[0]}$' --quiet | xargs docker stop -t 1`);
    const old = await onHost(bed, stagingHost, `docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' stage-jobs-staging-${versions[0]}`);
    // Killed after 1 s, not the 3 s it would have taken (nor docker's default 10 s).
    expect(old.stdout.trim()).toBe("exited 137");
  });

  test("without -d the destination's servers are not there: a clear error, nothing touched", async () => {
    const result = await sextant(["deploy"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain("This looks like a bug");
    expect(await served(stagingHost)).toBe("two");
  });
});

describe("a non-root SSH user in the docker group", () => {
  let project: Project;
  let createdUser = false;

  beforeAll(async () => {
    // The bed's hosts share this machine's users: one account with the bed's key, in `docker`.
    if ((await run(["id", DEPLOY_USER])).code !== 0) {
      await run(["useradd", "--create-home", "--shell", "/bin/sh", "--groups", "docker", "--password", "*", DEPLOY_USER]);
      createdUser = true;
    }
    const home = `/home/${DEPLOY_USER}`;
    await run(["sh", "-c", `mkdir -p ${home}/.ssh && cp ${bed.sshKey}.pub ${home}/.ssh/authorized_keys && chown -R ${DEPLOY_USER}: ${home}/.ssh && chmod 700 ${home}/.ssh && chmod 600 ${home}/.ssh/authorized_keys`]);
    project = await makeProject(bed, {
      "config/deploy.yml": `${baseYml("plain", DEPLOY_USER)}servers:\n  web:\n    - ${userHost}\n`,
      ".kamal/secrets": SECRETS,
      "www/index.html": page("plain", "one"),
    });
    await project.commit("one");
  });

  afterAll(async () => {
    await project?.sextant(["remove", "-y"]).catch(() => undefined);
    project?.cleanup();
    if (createdUser) await run(["userdel", "--remove", DEPLOY_USER]);
  });

  test("setup, deploy and remove work without root: files in the user's home, owned by the user", async () => {
    const setup = await project.sextant(["setup"]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    expect(await served(userHost)).toBe("one");
    const who = await onHost(bed, userHost, `stat -c '%U %a' /home/${DEPLOY_USER}/.kamal/apps/plain/env/roles/web.env; ls /home/${DEPLOY_USER}/.kamal`);
    expect(who.stdout).toContain(`${DEPLOY_USER} 600`);
    expect(who.stdout).toContain("plain-audit.log");

    await release(project, "plain", "two");
    const deploy = await project.sextant(["deploy"]);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(await served(userHost)).toBe("two");

    const removed = await project.sextant(["remove", "-y"]);
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    const left = await onHost(bed, userHost, `docker ps -a --filter label=service=plain -q; ls /home/${DEPLOY_USER}/.kamal/apps 2>/dev/null`);
    expect(left.stdout.trim()).toBe("");
  });
});
