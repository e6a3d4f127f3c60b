/**
 * Kamal's argument rendering (Kamal::Utils): values are quoted like a Ruby `String#dump`, backticks
 * escaped, and `$` escaped unless it opens a `${...}` expression (left for the remote shell).
 * Non-ASCII text is left raw. Used for the derived args in `sextant config` and by command builders.
 */

const NAMED: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\x07": "\\a", "\x1b": "\\e" };

/** Ruby's String#dump for an ASCII string, including the surrounding quotes. */
export function rubyDump(ascii: string): string {
  let out = '"';
  for (let i = 0; i < ascii.length; i++) {
    const ch = ascii[i]!;
    const code = ch.charCodeAt(0);
    if (NAMED[ch]) out += NAMED[ch];
    else if (ch === "#" && "{$@".includes(ascii[i + 1] ?? "")) out += "\\#";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

export function escapeShellValue(value: unknown): string {
  const text = String(value);
  const parts = text.match(/[\x00-\x7F]+|[^\x00-\x7F]+/g) ?? [""];
  return parts
    .map((part) => (/^[\x00-\x7F]*$/.test(part) ? rubyDump(part).replaceAll("`", "\\`").replace(/\$(?!\{[^}]*\})/g, "\\$") : part))
    .join("");
}

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** `argumentize("--env", {A: "b"})` -> ["--env", 'A="b"']; a list gives ["--volume", "x", ...] unquoted. */
export function argumentize(flag: string, attributes: Record<string, unknown> | readonly unknown[] | undefined | null): string[] {
  if (!attributes) return [];
  const entries: [unknown, unknown][] = Array.isArray(attributes) ? attributes.map((a) => [a, undefined]) : Object.entries(attributes);
  return entries.flatMap(([key, value]) => {
    if (present(value)) return [flag, `${String(key)}=${escapeShellValue(value)}`];
    if (value === false) return [flag, `${String(key)}=false`];
    return [flag, String(key)];
  });
}

function flattenArgs(args: Record<string, unknown>): [string, unknown][] {
  return Object.entries(args).flatMap(([key, value]) => (Array.isArray(value) ? value.map((entry) => [key, entry] as [string, unknown]) : [[key, value] as [string, unknown]]));
}

/** `optionize({memory: "2g", init: true})` -> ["--memory", '"2g"', "--init"]; with "=": ['--memory="2g"']. */
export function optionize(args: Record<string, unknown> | undefined | null, withSeparator?: string): string[] {
  if (!args) return [];
  return flattenArgs(args).flatMap(([key, value]) => {
    if (withSeparator) return [value === true ? `--${key}` : `--${key}${withSeparator}${escapeShellValue(value)}`];
    return value === true ? [`--${key}`] : [`--${key}`, escapeShellValue(value)];
  });
}
