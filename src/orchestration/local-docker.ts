/**
 * The deploying machine's own Docker, as the build steps use it: a command run locally with its
 * line shown (secrets redacted), whether buildx is there, and the local engine's architecture.
 */
import * as builder from "../commands/builder.ts";
import { type Argv, render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { runLocal } from "./local.ts";
import type { Run } from "./run.ts";

/** Run a built command line locally (in the project unless `cwd`), reported like remote ones. */
export function local(run: Run, argv: Argv, options: { cwd?: string; allowFailure?: boolean; env?: Record<string, string> } = {}) {
  return runLocal(["sh", "-c", render(argv)], {
    cwd: options.cwd ?? run.config.cwd,
    env: options.env,
    allowFailure: options.allowFailure,
    reporter: run.reporter,
    redact: (t) => run.session.redact(t),
    display: render(argv, { redact: true }),
  });
}

export async function hasBuildx(): Promise<boolean> {
  return (await runLocal(["docker", "buildx", "version"], { allowFailure: true }).catch(() => ({ code: 1 }))).code === 0;
}

export async function localDockerArch(run: Run): Promise<string> {
  const result = await local(run, builder.localArchitecture(), { allowFailure: true }).catch(() => ({ code: 1, stdout: "" }));
  if (result.code !== 0) {
    throw new SextantError("Docker is not installed locally (or its daemon is not reachable)", { hint: "Install Docker, start it, or point DOCKER_HOST at a Docker engine." });
  }
  return builder.dockerArch(result.stdout.trim());
}
