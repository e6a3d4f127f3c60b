/** Arguments several commands share: their definitions, and the checks of what was typed. */
import { UsageError } from "../errors.ts";
import { globalOptions } from "./context.ts";

/** `--json` of the commands that print for scripts. */
export const jsonArg = {
  json: { type: "boolean", description: "Print JSON for scripts" },
} as const;

/** deploy, redeploy and setup. */
export const deployArgs = {
  "skip-push": { type: "boolean", alias: "P", description: "Skip the image build and push (pull the existing image)" },
  "no-cache": { type: "boolean", description: "Build the image without Docker's cache" },
  json: { type: "boolean", description: "Print progress as JSON lines" },
} as const;

/** The version app boot/exec act on without --version: the image tagged latest on the servers. */
export function versionOrLatest(): string {
  const g = globalOptions();
  return g.version ?? (g.destination ? `latest-${g.destination}` : "latest");
}

/** `app exec` / `server exec` take the rest of the command line as the command. */
export function commandFrom(words: readonly string[] | undefined): string {
  const command = (words ?? [])
    .map((w) => w.trim())
    .filter(Boolean)
    .join(" ");
  if (!command) throw new UsageError("No command provided. You must specify a command to execute.", { hint: "e.g. sextant app exec 'ls -la' (quote it, or put it after --)" });
  return command;
}

/** `-e K=V` / `-e K:V` pairs (repeatable). */
export function parseEnvPairs(values: string | string[] | undefined): Record<string, string> {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  const env: Record<string, string> = {};
  for (const item of list) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)[=:](.*)$/s.exec(item);
    if (!m) throw new UsageError(`--env takes NAME=VALUE (got "${item}")`, { hint: "e.g. --env RAILS_ENV=production" });
    env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * `--lines` and `--since` of `app logs` / `accessory logs`, checked before they reach a remote shell
 * (they are pasted into the `docker logs` command line).
 */
export function logWindow(args: { lines?: string; since?: string }): { lines?: number; since?: string } {
  if (args.lines !== undefined && !/^\d+$/.test(args.lines)) {
    throw new UsageError(`--lines takes a number (got "${args.lines}")`, { hint: "e.g. --lines 200" });
  }
  if (args.since !== undefined && !/^[0-9A-Za-z][0-9A-Za-z:.+-]*$/.test(args.since)) {
    throw new UsageError(`--since takes a duration or a timestamp (got "${args.since}")`, { hint: "e.g. --since 10m, --since 2h or --since 2026-01-01T00:00:00" });
  }
  return { lines: args.lines === undefined ? undefined : Number(args.lines), since: args.since };
}
