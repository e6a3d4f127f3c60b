import { describe, expect, test } from "bun:test";
import * as audit from "../../../src/commands/audit.ts";
import * as lock from "../../../src/commands/lock.ts";
import * as prune from "../../../src/commands/prune.ts";
import { render } from "../../../src/commands/shell.ts";
import { makeConfig } from "./_config.ts";

const config = makeConfig({}, { version: "123" });
const staging = makeConfig({}, { version: "123", destination: "staging" });

describe("lock", () => {
  const details = { lockedBy: "José Deployer", at: "2024-05-01T12:00:00Z", version: "123", message: 'Deploy "hotfix" $now' };

  test("acquire: mkdir, then base64 details wrapped every 60 chars (GNU base64 -w 60 agrees)", () => {
    expect(render(lock.acquire(config, details))).toBe(
      'mkdir .kamal/lock-app && echo "TG9ja2VkIGJ5OiBKb3PDqSBEZXBsb3llciBhdCAyMDI0LTA1LTAxVDEyOjAw\nOjAwWgpWZXJzaW9uOiAxMjMKTWVzc2FnZTogRGVwbG95ICJob3RmaXgiICRu\nb3c=\n" > .kamal/lock-app/details',
    );
  });

  test("details text and base64 round trip", () => {
    expect(lock.lockDetailsText({ ...details, message: lock.AUTOMATIC_LOCK_MESSAGE })).toBe("Locked by: José Deployer at 2024-05-01T12:00:00Z\nVersion: 123\nMessage: Automatic deploy lock");
    const encoded = lock.encode64(lock.lockDetailsText(details));
    expect(encoded).toMatch(/^[A-Za-z0-9+/=\n]+$/);
    expect(Buffer.from(encoded.replaceAll("\n", ""), "base64").toString("utf8")).toBe(lock.lockDetailsText(details));
  });

  test("status, release, run directory", () => {
    expect(render(lock.status(config))).toBe("stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d");
    expect(render(lock.release(config))).toBe("rm .kamal/lock-app/details && rm -r .kamal/lock-app");
    expect(render(lock.ensureRunDirectory(config))).toBe("mkdir -p .kamal");
  });

  test("with a destination", () => {
    expect(render(lock.status(staging))).toBe("stat .kamal/lock-app-staging > /dev/null && cat .kamal/lock-app-staging/details | base64 -d");
    expect(render(lock.release(staging))).toBe("rm .kamal/lock-app-staging/details && rm -r .kamal/lock-app-staging");
  });
});

describe("audit", () => {
  const tags = { recordedAt: "2024-05-01T12:00:00Z", performer: "dhh@example.com" };

  test("record", () => {
    expect(render(audit.record(config, "Pulled image with version 123", tags))).toBe('mkdir -p .kamal && echo "[2024-05-01T12:00:00Z] [dhh@example.com] Pulled image with version 123" >> .kamal/app-audit.log');
  });

  test("role-scoped record with a destination", () => {
    expect(render(audit.record(staging, "Booted app version 123", { ...tags, role: "web" }))).toBe(
      'mkdir -p .kamal && echo "[2024-05-01T12:00:00Z] [dhh@example.com] [staging] [web] Booted app version 123" >> .kamal/app-staging-audit.log',
    );
  });

  test("the line is escaped as one shell value", () => {
    expect(render(audit.record(config, "Executed cmd 'echo \"$HOME\"' on 1.1.1.1", { ...tags, details: ["extra"] }))).toBe(
      'mkdir -p .kamal && echo "[2024-05-01T12:00:00Z] [dhh@example.com] [extra] Executed cmd \'echo \\"\\$HOME\\"\' on 1.1.1.1" >> .kamal/app-audit.log',
    );
  });

  test("reveal", () => {
    expect(render(audit.reveal(config))).toBe("tail -n 50 .kamal/app-audit.log");
    expect(render(audit.reveal(staging))).toBe("tail -n 50 .kamal/app-staging-audit.log");
  });
});

describe("prune", () => {
  test("containers keep the newest N stopped", () => {
    expect(render(prune.containers(config, 5))).toBe(
      "docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done",
    );
    expect(render(prune.containers(config, 1))).toContain("| tail -n +2 |");
    expect(() => prune.containers(config, 0)).toThrow("retain must be at least 1");
  });

  test("dangling images", () => {
    expect(render(prune.danglingImages(config))).toBe("docker image prune --force --filter label=service=app");
  });

  test("tagged images", () => {
    expect(render(prune.taggedImages(config))).toBe(
      "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w \"$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=app | tr -d '\\n')dhh/app:latest\\|dhh/app:<none>\" | while read image tag; do docker rmi $tag; done",
    );
  });

  test("tagged images with a destination and a registry", () => {
    const c = makeConfig({ registry: { server: "registry.example.com", username: "u", password: "p" } }, { destination: "staging" });
    expect(render(prune.taggedImages(c))).toContain("| tr -d '\\n')registry.example.com/dhh/app:latest-staging\\|registry.example.com/dhh/app:<none>\"");
  });
});
