/**
 * Test helpers for the test bed (scripts/testbed): where its hosts, registry and builder are, and
 * small ways to reach them. The coordinates come from the environment that `scripts/testbed env`
 * prints; scripts/test exports them before it runs the end-to-end tests.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export interface Testbed {
  name: string;
  dir: string;
  hosts: string[];
  sshKey: string;
  knownHosts: string;
  registry: string;
  registryUser: string;
  registryPassword: string;
  /** DOCKER_HOST of the builder engine: the deployer's "local" docker. */
  builderDockerHost: string;
  /** DOCKER_CONFIG for the deployer's docker client (holds the registry login). */
  dockerConfig: string;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`the test bed is not up (${name} is not set). Run the end-to-end tests through scripts/test, ` + 'or `scripts/testbed up 3 && eval "$(scripts/testbed env)"` first.');
  }
  return value;
}

/** The bed's coordinates; throws (failing the test file) when no bed is up. */
export function testbed(): Testbed {
  return {
    name: need("TESTBED_NAME"),
    dir: need("TESTBED_DIR"),
    hosts: need("TESTBED_HOSTS").split(","),
    sshKey: need("TESTBED_SSH_KEY"),
    knownHosts: need("TESTBED_KNOWN_HOSTS"),
    registry: need("TESTBED_REGISTRY"),
    registryUser: need("TESTBED_REGISTRY_USER"),
    registryPassword: need("TESTBED_REGISTRY_PASSWORD"),
    builderDockerHost: need("TESTBED_BUILDER_DOCKER_HOST"),
    dockerConfig: need("TESTBED_DOCKER_CONFIG"),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
}

/** Run a local program (no shell) and capture its output. Never throws for a non-zero exit. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** Like run, but throws with the output when the exit code is not 0. */
export async function runOk(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`${argv.join(" ")} exited ${result.code}\n${result.stdout}${result.stderr}`);
  }
  return result;
}

/** The system ssh client's argv for a bed host (a second, independent way in, to check what sextant did). */
export function sshArgv(bed: Testbed, host: string, command: string): string[] {
  return [
    "ssh",
    "-i",
    bed.sshKey,
    "-o",
    `UserKnownHostsFile=${bed.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "ServerAliveInterval=5",
    `root@${host}`,
    command,
  ];
}

/** Run a shell command on a bed host over the system ssh client. */
export function onHost(bed: Testbed, host: string, command: string, options: RunOptions = {}): Promise<RunResult> {
  return run(sshArgv(bed, host, command), options);
}

/** Environment for a local docker client that talks to the bed's builder engine. */
export function builderEnv(bed: Testbed): Record<string, string> {
  return { DOCKER_HOST: bed.builderDockerHost, DOCKER_CONFIG: bed.dockerConfig };
}

/** The repository root. */
export const repoRoot = resolve(import.meta.dir, "../..");

/** The built binary under test (scripts/test builds it first). */
export function sextantBinary(): string {
  const path = process.env.SEXTANT_BIN ?? resolve(repoRoot, "dist/sextant");
  if (!existsSync(path)) throw new Error(`${path} does not exist: run scripts/build first`);
  return path;
}
