/** Reading the validated raw config: the small conversions every section's model uses. */
import { toText } from "./env-model.ts";
import { isHash } from "./schema/common.ts";

/** A hash as YAML gave it (validated by the schema before any model reads it). */
export type Raw = Record<string, unknown>;

export const DEFAULT_RESTART = "unless-stopped";

export function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : toText(value);
}

export function hashOrEmpty(value: unknown): Raw {
  return isHash(value) ? value : {};
}

/** Docker run options without `restart`, and the restart policy (default unless-stopped). */
export function splitRestart(options: unknown): { options: Raw; restart: string } {
  const rest: Raw = { ...hashOrEmpty(options) };
  const restart = rest.restart === undefined ? DEFAULT_RESTART : toText(rest.restart);
  delete rest.restart;
  return { options: rest, restart };
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
