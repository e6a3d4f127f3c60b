/**
 * Kamal's escaping and argument rendering (Ruby's `String#dump`, `Shellwords.escape`,
 * `argumentize`, `optionize`) as plain strings. The model's derived args use them (`sextant
 * config` prints them); src/commands/shell.ts builds its redactable tokens on the same rules.
 */

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\f": "\\f",
  "\v": "\\v",
  "\b": "\\b",
  "\x07": "\\a",
  "\x1b": "\\e",
};

/** Ruby's `String#dump` of an ASCII string, without the surrounding quotes. */
function rubyDumpBody(ascii: string): string {
  let out = "";
  for (let i = 0; i < ascii.length; i++) {
    const ch = ascii[i]!;
    const code = ch.charCodeAt(0);
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) out += named;
    // dump escapes `#` only where Ruby would read it as interpolation: #{ #$ #@
    else if (ch === "#" && "{$@".includes(ascii[i + 1] ?? "-")) out += "\\#";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/** Split into ASCII and non-ASCII runs: Kamal escapes the former and leaves the latter raw. */
function asciiRuns(text: string): { text: string; ascii: boolean }[] {
  return (text.match(/[\x00-\x7F]+|[^\x00-\x7F]+/g) ?? []).map((run) => ({ text: run, ascii: run.charCodeAt(0) < 0x80 }));
}

/**
 * Kamal's `escape_shell_value`: each ASCII run becomes a Ruby double-quoted literal, backticks are
 * escaped, and `$` is escaped unless it opens `${...}` (left for the remote shell to expand on
 * purpose, e.g. `${HOST_TOKEN}` in a clear env value). Non-ASCII runs stay raw.
 *
 * @example escape("foo") === '"foo"'; escape("$PWD") === '"\\$PWD"'; escape("${PWD}") === '"${PWD}"'
 */
export function escape(value: unknown): string {
  return asciiRuns(String(value))
    .map((run) => (run.ascii ? `"${rubyDumpBody(run.text)}"`.replaceAll("`", "\\`").replace(/\$(?!\{[^}]*\})/g, "\\$") : run.text))
    .join("");
}

/**
 * Ruby's `Shellwords.escape`: backslash before every character outside `[A-Za-z0-9_-.,:+/@]`,
 * newlines quoted, `''` for the empty string. Used for local paths (git clone directories).
 */
export function shellEscape(value: string): string {
  if (value === "") return "''";
  return value.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, (ch) => `\\${ch}`).replaceAll("\n", "'\n'");
}

/** Ruby's `present?`: not nil/false, not a blank string, not an empty list or hash. */
function present(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

export type Attributes = Readonly<Record<string, unknown>> | readonly unknown[];

/** One entry of Kamal's `argumentize`: `key="escaped"`, `key=false`, or the bare key (nil or blank). */
export function argumentEntries(attributes: Attributes | null | undefined): { key: string; text: string; escaped: boolean }[] {
  if (!attributes) return [];
  const entries: [string, unknown][] = Array.isArray(attributes) ? attributes.map((item) => [String(item), undefined]) : Object.entries(attributes as Record<string, unknown>);
  return entries.map(([key, value]) => {
    if (present(value)) return { key, text: `${key}=${escape(value)}`, escaped: true };
    return { key, text: value === false ? `${key}=false` : key, escaped: false };
  });
}

/** `argumentize("--env", {A: "b"})` -> ["--env", 'A="b"']; a list gives ["--volume", "x", ...] unquoted. */
export function argumentize(flag: string, attributes: Attributes | null | undefined): string[] {
  return argumentEntries(attributes).flatMap((entry) => [flag, entry.text]);
}

/** `optionize({memory: "2g", init: true})` -> ["--memory", '"2g"', "--init"]; with "=": ['--memory="2g"']; lists repeat the option. */
export function optionize(args: Readonly<Record<string, unknown>> | undefined | null, withSeparator?: string): string[] {
  if (!args) return [];
  const flat = Object.entries(args).flatMap(([key, value]) => (Array.isArray(value) ? value.map((item): [string, unknown] => [key, item]) : [[key, value] as [string, unknown]]));
  return flat.flatMap(([key, value]) => {
    if (value === undefined || value === null) return [];
    if (value === true) return [`--${key}`];
    if (withSeparator !== undefined) return [`--${key}${withSeparator}${escape(value)}`];
    return [`--${key}`, escape(value)];
  });
}
