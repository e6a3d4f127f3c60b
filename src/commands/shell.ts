/**
 * The one place where commands become shell text. Kamal builds every remote and local command as
 * an array of words that is joined with single spaces and handed to a login shell, so pipes,
 * `&&`, `||`, `$(...)`, `$PWD` and redirections are part of the command contract. We keep that
 * model exactly, because the golden strings of Kamal's command tests depend on it:
 *
 * - a plain string token is raw shell text, emitted as is (`"--restart"`, `"2>&1"`, `"|"`);
 * - values that need quoting go through `escape()` first (Kamal's `escape_shell_value`);
 * - a `Sensitive` token carries text that must reach the server but never a log
 *   (`render(argv, { redact: true })` prints its redaction instead).
 *
 * Nothing here knows about Docker or the configuration.
 */

export const REDACTED = "[REDACTED]";

/** Shell text that must not be logged, e.g. the escaped password of `docker login -p`. */
export interface Sensitive {
  readonly sensitive: string;
  /** What logs show instead (default `[REDACTED]`). */
  readonly redaction: string;
}

export type Token = string | Sensitive;
export type Argv = readonly Token[];
/** Anything the combinators accept; null/undefined/false parts are dropped (Ruby's `compact`). */
export type Part = Argv | Token | null | undefined | false;

export interface RenderOptions {
  /** Show redactions instead of sensitive values (for logs and `--dry-run` output). */
  redact?: boolean;
}

export function sensitive(text: string, redaction: string = REDACTED): Sensitive {
  return { sensitive: text, redaction };
}

export function isSensitive(token: unknown): token is Sensitive {
  return typeof token === "object" && token !== null && typeof (token as Sensitive).sensitive === "string";
}

function tokenText(token: Token, redact: boolean): string {
  if (typeof token === "string") return token;
  return redact ? token.redaction : token.sensitive;
}

/** The command line sent to the shell: tokens joined by single spaces, like Kamal's `join(" ")`. */
export function render(argv: Argv, options: RenderOptions = {}): string {
  const redact = options.redact === true;
  return argv.map((token) => tokenText(token, redact)).join(" ");
}

function tokens(part: Part): Token[] {
  if (part === null || part === undefined || part === false) return [];
  if (typeof part === "string" || isSensitive(part)) return [part];
  return [...part];
}

/**
 * Fold a list of tokens into a single token built from its rendering. The result stays sensitive
 * when any input was, so wrapping (`sh -c '...'`, `$(...)`) never leaks a secret into logs.
 */
function fold(argv: Argv, build: (text: string) => string): Token {
  const text = build(render(argv));
  if (!argv.some(isSensitive)) return text;
  return sensitive(text, build(render(argv, { redact: true })));
}

// ---- escaping --------------------------------------------------------------------------------

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
export function rubyDumpBody(ascii: string): string {
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
export function asciiRuns(text: string): { text: string; ascii: boolean }[] {
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
    .map((run) =>
      run.ascii
        ? `"${rubyDumpBody(run.text)}"`.replaceAll("`", "\\`").replace(/\$(?!\{[^}]*\})/g, "\\$")
        : run.text,
    )
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

export type Attributes = Readonly<Record<string, unknown>> | readonly string[];

/**
 * Kamal's `argumentize`: `flag key="escaped"` per entry; `false` gives `key=false`, nil or blank
 * gives a bare `key`. A list of strings gives `flag string` unquoted (volumes, publish specs).
 * With `sensitive`, values are redacted in logs as `key=[REDACTED]` (build args).
 */
export function argumentize(flag: string, attributes: Attributes | null | undefined, options: { sensitive?: boolean } = {}): Token[] {
  if (!attributes) return [];
  const entries: [string, unknown][] = Array.isArray(attributes)
    ? attributes.map((item) => [item, undefined])
    : Object.entries(attributes as Record<string, unknown>);
  return entries.flatMap(([key, value]): Token[] => {
    if (present(value)) {
      const text = `${key}=${escape(value)}`;
      return [flag, options.sensitive ? sensitive(text, `${key}=${REDACTED}`) : text];
    }
    if (value === false) return [flag, `${key}=false`];
    return [flag, key];
  });
}

/**
 * Kamal's `optionize`: `--key "escaped"` (or `--key="escaped"` with `separator: "="`); `true`
 * gives a bare `--key`; list values repeat the option; nil/undefined entries are skipped.
 */
export function optionize(args: Readonly<Record<string, unknown>> | null | undefined, options: { separator?: string } = {}): string[] {
  if (!args) return [];
  const flat = Object.entries(args).flatMap(([key, value]) =>
    Array.isArray(value) ? value.map((item): [string, unknown] => [key, item]) : [[key, value] as [string, unknown]],
  );
  return flat.flatMap(([key, value]) => {
    if (value === undefined || value === null) return [];
    if (value === true) return [`--${key}`];
    if (options.separator !== undefined) return [`--${key}${options.separator}${escape(value)}`];
    return [`--${key}`, escape(value)];
  });
}

// ---- combinators (named after Kamal::Commands::Base) -----------------------------------------

/** Join commands with an operator; empty parts are dropped (Ruby's `compact`). */
export function joinWith(by: string, parts: readonly Part[]): Token[] {
  const out: Token[] = [];
  for (const part of parts) {
    const words = tokens(part);
    if (words.length === 0) continue;
    if (out.length > 0) out.push(by);
    out.push(...words);
  }
  return out;
}

/** `a && b` */
export function combine(...parts: Part[]): Token[] {
  return joinWith("&&", parts);
}

/** `a ; b` */
export function chain(...parts: Part[]): Token[] {
  return joinWith(";", parts);
}

/** `a | b` */
export function pipe(...parts: Part[]): Token[] {
  return joinWith("|", parts);
}

/** `a || b` */
export function any(...parts: Part[]): Token[] {
  return joinWith("||", parts);
}

/** `command >> file` */
export function append(...parts: Part[]): Token[] {
  return joinWith(">>", parts);
}

/** `command > file` */
export function write(...parts: Part[]): Token[] {
  return joinWith(">", parts);
}

/** `$(command)` as one token. */
export function substitute(...parts: Part[]): Token {
  return fold(parts.flatMap(tokens), (text) => `$(${text})`);
}

/** `xargs command...` */
export function xargs(command: Part): Token[] {
  return ["xargs", ...tokens(command)];
}

/** Single-quote text for a POSIX shell, `'` becoming `'\''` (Kamal's `shell` and `run_over_ssh`). */
export function singleQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A whole command as one single-quoted token (secrets inside stay redactable). */
export function quoted(command: Part): Token {
  return fold(tokens(command), singleQuote);
}

/** `sh -c '<command>'`: the command rendered, then single-quoted with `'\''` for inner quotes. */
export function shell(command: Part): Token[] {
  return ["sh", "-c", quoted(command)];
}

/** `docker ...args` with empty args dropped. */
export function docker(...args: Part[]): Token[] {
  return ["docker", ...args.flatMap(tokens)];
}

/** `mkdir -p path` */
export function makeDirectory(path: string): Token[] {
  return ["mkdir", "-p", path];
}

/** `rm -r path` */
export function removeDirectory(path: string): Token[] {
  return ["rm", "-r", path];
}

/** `rm -rf path` */
export function removeTree(path: string): Token[] {
  return ["rm", "-rf", path];
}

/** `command 2>/dev/null`: for probes whose failure is an answer. */
export function silenced(command: Part): Token[] {
  return [...tokens(command), "2>/dev/null"];
}

