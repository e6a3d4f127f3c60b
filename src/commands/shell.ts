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
 * Nothing here knows about Docker or the configuration model (Kamal's escaping rules come from
 * config/shell.ts, which the model's derived args use too).
 */

import { type Attributes, argumentEntries, optionize as optionizeText } from "../config/shell.ts";

const REDACTED = "[REDACTED]";

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

function isSensitive(token: unknown): token is Sensitive {
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

// ---- escaping (Kamal's rules live in config/shell.ts; here they gain redactable tokens) --------

export { type Attributes, escape, shellEscape } from "../config/shell.ts";

/**
 * Kamal's `argumentize`: `flag key="escaped"` per entry; `false` gives `key=false`, nil or blank
 * gives a bare `key`. A list of strings gives `flag string` unquoted (volumes, publish specs).
 * With `sensitive`, values are redacted in logs as `key=[REDACTED]` (build args).
 */
export function argumentize(flag: string, attributes: Attributes | null | undefined, options: { sensitive?: boolean } = {}): Token[] {
  return argumentEntries(attributes).flatMap(({ key, text, escaped }): Token[] => [flag, options.sensitive && escaped ? sensitive(text, `${key}=${REDACTED}`) : text]);
}

/**
 * Kamal's `optionize`: `--key "escaped"` (or `--key="escaped"` with `separator: "="`); `true`
 * gives a bare `--key`; list values repeat the option; nil/undefined entries are skipped.
 */
export function optionize(args: Readonly<Record<string, unknown>> | null | undefined, options: { separator?: string } = {}): string[] {
  return optionizeText(args, options.separator);
}

// ---- combinators (named after Kamal::Commands::Base) -----------------------------------------

/** Join commands with an operator; empty parts are dropped (Ruby's `compact`). */
function joinWith(by: string, parts: readonly Part[]): Token[] {
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
function singleQuote(text: string): string {
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
