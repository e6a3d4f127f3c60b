/**
 * A throwaway app project for end-to-end tests: the example app (or given files) in a git
 * repository, an OpenSSH config pointing at the test bed's key and known_hosts, and a way to run
 * the built sextant binary in it with the bed's builder engine as the "local" docker.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUSYBOX } from "./images.ts";
import { type RunResult, repoRoot, run, runOk, sextantBinary, type Testbed } from "./testbed.ts";

export interface Project {
  dir: string;
  env: Record<string, string>;
  /** Run `sextant ARGS` in the project. */
  sextant(args: string[], options?: { env?: Record<string, string>; stdin?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Write (or overwrite) a file of the project. */
  write(path: string, content: string): void;
  /** Commit everything; returns the new HEAD. */
  commit(message: string): Promise<string>;
  cleanup(): void;
}

const GIT_IDENTITY = ["-c", "user.name=sextant-test", "-c", "user.email=test@example.com"];

/** A project from examples/hello plus `files` (path → content), committed. */
export async function makeProject(bed: Testbed, files: Record<string, string> = {}): Promise<Project> {
  const root = mkdtempSync(join(tmpdir(), "sextant-project-"));
  const dir = join(root, "app");
  cpSync(join(repoRoot, "examples/hello"), dir, { recursive: true });
  rmSync(join(dir, ".gitignore"), { force: true });
  copyFileSync(BUSYBOX, join(dir, "busybox"));
  writeFileSync(join(root, "ssh_config"), `Host *\n  IdentityFile ${bed.sshKey}\n  UserKnownHostsFile ${bed.knownHosts}\n  ConnectTimeout 5\n`);
  const env: Record<string, string> = {
    DEMO_HOST: bed.hosts[0]!,
    DEMO_REGISTRY: bed.registry,
    DEMO_REGISTRY_PASSWORD: bed.registryPassword,
    DEMO_SSH_CONFIG: join(root, "ssh_config"),
    DOCKER_HOST: bed.builderDockerHost,
    DOCKER_CONFIG: join(root, "docker-config"),
    XDG_CACHE_HOME: join(tmpdir(), "sextant-test-cache"),
    NO_COLOR: "1",
  };
  const project: Project = {
    dir,
    env,
    sextant: (args, options = {}) => run([sextantBinary(), ...args], { cwd: dir, env: { ...env, ...options.env }, stdin: options.stdin, timeoutMs: options.timeoutMs ?? 300_000 }),
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    async commit(message) {
      await runOk(["git", "add", "-A"], { cwd: dir });
      await runOk(["git", ...GIT_IDENTITY, "commit", "-q", "--allow-empty", "-m", message], { cwd: dir });
      return (await runOk(["git", "rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  await runOk(["git", "init", "-q"], { cwd: dir });
  await project.commit("initial");
  return project;
}

export interface LoadResult {
  total: number;
  failed: number;
  statuses: Record<string, number>;
}

/**
 * Request `url` continuously until `stop()` is called (or `maxMs` passes): bounded in time, one
 * request at a time per worker. Counts every answer that is not a 200 as failed.
 */
export function continuousLoad(urls: string[], options: { workers?: number; maxMs?: number } = {}) {
  const statuses: Record<string, number> = {};
  let stopped = false;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  const worker = async (url: string) => {
    while (!stopped && Date.now() < deadline) {
      let key: string;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        key = String(response.status);
      } catch (error) {
        key = error instanceof Error ? error.name : "error";
      }
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const running = Promise.all(Array.from({ length: options.workers ?? 2 }, (_, i) => worker(urls[i % urls.length]!)));
  return {
    async stop(): Promise<LoadResult> {
      stopped = true;
      await running;
      const total = Object.values(statuses).reduce((a, b) => a + b, 0);
      return { total, failed: total - (statuses["200"] ?? 0), statuses };
    },
  };
}
