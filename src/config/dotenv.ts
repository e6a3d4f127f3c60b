/**
 * The dotenv format of `.kamal/secrets` (Ruby dotenv 3 as Kamal uses it):
 *   KEY=value, `export KEY=value`, `# comments`, 'single quotes' (literal), "double quotes" (\n and
 *   escapes, interpolation), multi-line quoted values, $VAR / ${VAR} interpolation (keys defined
 *   earlier, then the environment), and $(command) substitution run by the local shell.
 */

export interface DotenvOptions {
  /** Where the text came from, for error messages. */
  file: string;
  /** Values defined before this file (earlier files); they win over `env` for interpolation. */
  defined?: Readonly<Record<string, string>>;
  env: Readonly<Record<string, string | undefined>>;
  /** Runs `$(command)`; returns stdout. Throws on failure. */
  runCommand: (command: string) => string;
}

export class DotenvError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function parseDotenv(text: string, options: DotenvOptions): Record<string, string> {
  const result: Record<string, string> = {};
  const lookup = (name: string): string => result[name] ?? options.defined?.[name] ?? options.env[name] ?? "";
  let pos = 0;
  let line = 1;
  const n = text.length;
  const lineAt = (offset: number) => {
    let l = 1;
    for (let i = 0; i < offset && i < n; i++) if (text[i] === "\n") l++;
    return l;
  };
  while (pos < n) {
    // Skip blank space and comment lines.
    const ch = text[pos]!;
    if (ch === "\n" || ch === " " || ch === "\t" || ch === "\r") {
      pos++;
      continue;
    }
    line = lineAt(pos);
    if (ch === "#") {
      pos = endOfLine(text, pos);
      continue;
    }
    const head = /^(export[ \t]+)?([\w.]+)[ \t]*(=|:[ \t])?/.exec(text.slice(pos, endOfLine(text, pos)));
    if (!head) {
      throw new DotenvError(`line ${line} is not KEY=value: \`${text.slice(pos, endOfLine(text, pos)).trim()}\``, options.file, line, "write KEY=value, KEY='literal value' or KEY=$(command)");
    }
    const key = head[2]!;
    pos += head[0].length;
    if (!head[3]) {
      // `export KEY` alone: nothing to define.
      const rest = text.slice(pos, endOfLine(text, pos)).trim();
      if (head[1] && (rest === "" || rest.startsWith("#"))) {
        pos = endOfLine(text, pos);
        continue;
      }
      throw new DotenvError(`line ${line}: expected \`=\` after ${key}`, options.file, line, `e.g. ${key}=value`);
    }
    while (text[pos] === " " || text[pos] === "\t") pos++;
    const runCommand = commandRunnerFor(options, key, line);
    const quote = text[pos];
    let value: string;
    if (quote === "'" || quote === '"') {
      let end = pos + 1;
      for (;;) {
        if (end >= n) throw new DotenvError(`line ${line}: unterminated ${quote === "'" ? "single" : "double"}-quoted value for ${key}`, options.file, line, `close the value with ${quote}`);
        if (text[end] === "\\" && text[end + 1] === quote) {
          end += 2;
          continue;
        }
        if (text[end] === quote) break;
        end++;
      }
      const inner = text.slice(pos + 1, end);
      pos = end + 1;
      const rest = text.slice(pos, endOfLine(text, pos));
      if (rest.trim() !== "" && !rest.trim().startsWith("#")) {
        throw new DotenvError(`line ${lineAt(pos)}: unexpected text after the quoted value of ${key}: \`${rest.trim()}\``, options.file, lineAt(pos), "put a # before comments");
      }
      pos = endOfLine(text, pos);
      if (quote === "'") value = inner.replaceAll("\\'", "'");
      else value = substitute(unescape(inner.replaceAll("\\n", "\n").replaceAll("\\r", "\r")), lookup, runCommand);
    } else {
      const eol = endOfLine(text, pos);
      const hash = text.indexOf("#", pos);
      const stop = hash !== -1 && hash < eol ? hash : eol;
      value = substitute(unescape(text.slice(pos, stop).trim()), lookup, runCommand);
      pos = eol;
    }
    result[key] = value;
  }
  return result;
}

/**
 * The command runner for one key's value: a failure names the file, line and key, never the
 * command itself (by the time it runs, its `$VAR`s hold secrets).
 */
function commandRunnerFor(options: DotenvOptions, key: string, line: number): (command: string) => string {
  return (command) => {
    try {
      return options.runCommand(command);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const hint = (error as { hint?: string }).hint;
      const what = reason.startsWith("exited") ? reason : `failed: ${reason}`;
      throw new DotenvError(`line ${line}: the \`$(…)\` command in the value of ${key} ${what}`, options.file, line, hint ?? "run it by hand to see why");
    }
  };
}

function endOfLine(text: string, pos: number): number {
  const nl = text.indexOf("\n", pos);
  return nl === -1 ? text.length : nl;
}

function unescape(value: string): string {
  return value.replace(/\\([^$])/g, "$1");
}

function substitute(value: string, lookup: (name: string) => string, runCommand: (command: string) => string): string {
  // Variables first ($VAR, ${VAR}; \$ is a literal dollar), then commands ($(...), nested parens allowed).
  const withVars = value.replace(/(\\)?\$(?!\()(\{)?([A-Za-z0-9_]+)?(\})?/g, (match, escaped: string | undefined, open: string | undefined, name: string | undefined, close: string | undefined) => {
    if (escaped) return match.slice(1);
    if (!name) return match;
    if (open && !close) return match;
    return lookup(name) + (close && !open ? "}" : "");
  });
  return replaceCommands(withVars, runCommand);
}

function replaceCommands(value: string, runCommand: (command: string) => string): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf("$(", i);
    if (start === -1) {
      out += value.slice(i);
      break;
    }
    // Find the balanced closing paren.
    let depth = 0;
    let end = -1;
    for (let j = start + 1; j < value.length; j++) {
      if (value[j] === "(") depth++;
      else if (value[j] === ")") {
        depth--;
        if (depth === 0) {
          end = j;
          break;
        }
      }
    }
    if (end === -1) {
      out += value.slice(i);
      break;
    }
    const escaped = start > 0 && value[start - 1] === "\\";
    if (escaped) {
      out += value.slice(i, start - 1) + value.slice(start, end + 1);
    } else {
      out += value.slice(i, start) + runCommand(value.slice(start + 2, end)).replace(/\r?\n$/, "");
    }
    i = end + 1;
  }
  return out;
}
