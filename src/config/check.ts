/**
 * What the semantic checks share: `add` collects a problem at a path of the raw config (validate.ts
 * turns the path into file:line:col), and a few readers of raw values.
 */
import type { Path } from "./yaml.ts";

export type Add = (path: Path, message: string, hint?: string) => void;

const RESERVED_LABELS = ["service", "role", "destination"];

/** How a wrong value is shown in a problem: strings quoted and cut, hashes and arrays by kind. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (the value is empty)";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "a hash";
  return String(value);
}

/** Written but empty (YAML `key:` or a blank string). */
export function toBlank(value: unknown): boolean {
  return value === null || (typeof value === "string" && value.trim() === "");
}

export function reservedLabels(labels: Record<string, unknown>, path: Path, add: Add): void {
  for (const key of Object.keys(labels)) {
    if (RESERVED_LABELS.includes(key)) add([...path, key], "invalid label. destination, role, and service are reserved labels", "sextant sets these labels itself");
  }
}
