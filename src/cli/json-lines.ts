/**
 * `--json` output of the listing commands: one JSON object per line (NDJSON), each a Docker object
 * (`--format '{{json .}}'`) with where it was found: `kind` (app, proxy, accessory), `host`, and
 * `role` or `accessory` when there is one. A line Docker did not write as JSON is kept as `text`.
 */
import type { HostOutput } from "../orchestration/app-ops.ts";

export function jsonLines(outputs: readonly HostOutput[], where: Record<string, string>): string {
  let out = "";
  for (const { host, role, text } of outputs) {
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let fields: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(line);
        fields = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
      } catch {
        fields = { text: line };
      }
      out += `${JSON.stringify({ ...where, host, ...(role ? { role } : {}), ...fields })}\n`;
    }
  }
  return out;
}

/** The deploy lock's details (Kamal's "Locked by: X at T\nVersion: V\nMessage: M") as fields. */
export function lockJson(details: string | undefined): string {
  if (!details) return `${JSON.stringify({ locked: false })}\n`;
  const by = details.match(/^Locked by: (.*?) at (\S+)\s*$/m);
  const version = details.match(/^Version: (.*)$/m)?.[1];
  const message = details.match(/^Message: ([\s\S]*)$/m)?.[1]?.trimEnd();
  return `${JSON.stringify({ locked: true, lockedBy: by?.[1], at: by?.[2], version, message, details })}\n`;
}
