/**
 * The canary's record on the servers: `.kamal/apps/SVC[-DEST]/rollout` holds the canary version,
 * its percentage and allowlist, so `rollout set|promote|stop`, `app details` and a later deploy know
 * that a canary runs next to the main version (kamal-proxy keeps only the split, not the version).
 */
import type { AppConfig } from "./names.ts";
import { type Argv, escape, makeDirectory, write } from "./shell.ts";

export interface RolloutRecord {
  version: string;
  percent: number;
  list: string[];
}

function rolloutFile(config: Pick<AppConfig, "appDirectory">): string {
  return `${config.appDirectory}/rollout`;
}

/** One line: `VERSION PERCENT [LIST,...]`. */
function formatRecord(record: RolloutRecord): string {
  return [record.version, String(record.percent), record.list.join(",")].filter(Boolean).join(" ");
}

/** The record from the file's text, or undefined when there is none (or it is not one). */
export function parseRecord(text: string): RolloutRecord | undefined {
  const [version, percent, list] = text.trim().split(/\s+/);
  if (!version || percent === undefined || !/^\d+$/.test(percent)) return undefined;
  return { version, percent: Number(percent), list: list ? list.split(",").filter(Boolean) : [] };
}

export function writeRecord(config: Pick<AppConfig, "appDirectory">, record: RolloutRecord): Argv {
  return [...makeDirectory(config.appDirectory), "&&", ...write(["echo", escape(formatRecord(record))], rolloutFile(config))];
}

/** Prints the record, or nothing (never fails). */
export function readRecord(config: Pick<AppConfig, "appDirectory">): Argv {
  return ["cat", rolloutFile(config), "2>", "/dev/null", "||", "true"];
}

export function removeRecord(config: Pick<AppConfig, "appDirectory">): Argv {
  return ["rm", "-f", rolloutFile(config)];
}
