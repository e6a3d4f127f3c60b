/**
 * The deploy lock (Kamal's commands/lock.rb): a directory on the primary host, created with `mkdir` because
 * mkdir is atomic; the details file holds base64 text so any user name or message (quotes,
 * non-ASCII) travels inside a plain ASCII command.
 */
import { Buffer } from "node:buffer";
import type { ServiceConfig } from "./names.ts";
import { type Argv, combine, makeDirectory, pipe, write } from "./shell.ts";

export type LockConfig = Pick<ServiceConfig, "runDirectory" | "lockDirectory">;

export interface LockDetails {
  /** `git config user.name`, or `Unknown`. */
  lockedBy: string;
  /** UTC ISO-8601 seconds, e.g. `2024-05-01T12:00:00Z`. */
  at: string;
  version: string;
  message: string;
}

/** The message of locks taken by deploy, setup etc. (`--lock-wait` only waits on these). */
export const AUTOMATIC_LOCK_MESSAGE = "Automatic deploy lock";

export function lockDetailsText(details: LockDetails): string {
  return `Locked by: ${details.lockedBy} at ${details.at}\nVersion: ${details.version}\nMessage: ${details.message}`;
}

/** Ruby's `Base64.encode64`: standard base64, a newline after every 60 characters and at the end. */
export function encode64(text: string): string {
  const flat = Buffer.from(text, "utf8").toString("base64");
  let out = "";
  for (let i = 0; i < flat.length; i += 60) out += `${flat.slice(i, i + 60)}\n`;
  return out;
}

function detailsFile(config: LockConfig): string {
  return `${config.lockDirectory}/details`;
}

/** `mkdir -p .kamal`, run on all hosts before acquiring. */
export function ensureRunDirectory(config: Pick<LockConfig, "runDirectory">): Argv {
  return makeDirectory(config.runDirectory);
}

/** `mkdir .kamal/lock-SVC && echo "<base64>" > .kamal/lock-SVC/details` (fails when held). */
export function acquire(config: LockConfig, details: LockDetails): Argv {
  return combine(["mkdir", config.lockDirectory], write(["echo", `"${encode64(lockDetailsText(details))}"`], detailsFile(config)));
}

/** `rm .kamal/lock-SVC/details && rm -r .kamal/lock-SVC` */
export function release(config: LockConfig): Argv {
  return combine(["rm", detailsFile(config)], ["rm", "-r", config.lockDirectory]);
}

/** `stat .kamal/lock-SVC > /dev/null && cat .kamal/lock-SVC/details | base64 -d` */
export function status(config: LockConfig): Argv {
  return combine(write(["stat", config.lockDirectory], "/dev/null"), pipe(["cat", detailsFile(config)], ["base64", "-d"]));
}
