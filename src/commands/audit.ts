/**
 * The audit log on every server (Kamal's commands/auditor.rb): one line per state change, appended with `echo`.
 * The line is `[recorded at] [performer] [destination] [role] [details...] message`, unset tags
 * dropped; version and service are never tagged. Clock and performer come from the caller.
 */
import type { ServiceConfig } from "./names.ts";
import { type Argv, append, combine, escape, makeDirectory } from "./shell.ts";

export type AuditConfig = Pick<ServiceConfig, "destination" | "runDirectory" | "auditLogFile">;

export interface AuditTags {
  /** UTC ISO-8601 seconds, e.g. `2024-05-01T12:00:00Z`. */
  recordedAt: string;
  /** `git config user.email`, or `whoami`. */
  performer: string;
  /** Role-scoped records carry the role. */
  role?: string;
  /** Further tags, in order (e.g. an accessory or host). */
  details?: readonly string[];
}

function auditLine(config: AuditConfig, message: string, tags: AuditTags): string {
  const values = [tags.recordedAt, tags.performer, config.destination, tags.role, ...(tags.details ?? [])];
  const prefix = values
    .filter((v): v is string => v !== undefined && v !== "")
    .map((v) => `[${v}]`)
    .join(" ");
  return prefix === "" ? message : `${prefix} ${message}`;
}

/** `mkdir -p .kamal && echo "<line>" >> .kamal/SVC[-DEST]-audit.log` */
export function record(config: AuditConfig, message: string, tags: AuditTags): Argv {
  return combine(makeDirectory(config.runDirectory), append(["echo", escape(auditLine(config, message, tags))], config.auditLogFile));
}

/** `tail -n 50 .kamal/SVC[-DEST]-audit.log` (`sextant audit`). */
export function reveal(config: AuditConfig): Argv {
  return ["tail", "-n", "50", config.auditLogFile];
}
