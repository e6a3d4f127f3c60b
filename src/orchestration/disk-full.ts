/**
 * A step that failed because a server's disk is full says so — which host, where Docker keeps its
 * data there and how much is left — instead of a wall of Docker output.
 */
import { dockerRootSpace } from "../commands/builder.ts";
import { render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import { SshCommandError } from "../ssh/index.ts";
import type { Run } from "./run.ts";

export function isDiskFull(error: unknown): boolean {
  return error instanceof SshCommandError && /no space left on device/i.test(`${error.stderr}\n${error.stdout}`);
}

/** `error` itself, or a disk-full error for `doing` (e.g. "pulling IMAGE") on `host`. */
export async function diskFullError(run: Run, host: string, error: unknown, doing: string): Promise<unknown> {
  if (!isDiskFull(error)) return error;
  const where = (await run.session.tryExec(host, render(dockerRootSpace()))).stdout.trim();
  return new SextantError(`the disk is full: ${doing} failed with "no space left on device"${where ? ` (${where})` : ""}`, {
    hint: `Free space on ${host} (\`sextant prune all\` removes old images and containers), then deploy again. The running version is still serving.`,
    cause: error,
  });
}
