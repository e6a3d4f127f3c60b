/**
 * The subset of ERB that real Kamal configs use, evaluated without running any code:
 *
 *   <%= ENV["X"] %>  <%= ENV['X'] %>  <%= ENV.fetch("X") %>  <%= ENV.fetch("X", "default") %>
 *   <%= ENV["X"] || "default" %>  <%= "literal" %>  <%# comment %>  <%- ... -%> (trim mode "-")
 *   <%= A == "b" ? "c" : "d" %>  and Kamal::Utils.docker_arch (the local CPU architecture)
 *
 * Anything else (control flow, method calls, shelling out) is rejected with the line it is on.
 * The renderer also returns, for every output line, the source line it came from, so YAML errors
 * and validation problems point at the line the user wrote.
 */

export interface ErbContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Architecture reported for Kamal::Utils.docker_arch ("amd64" / "arm64"). */
  dockerArch?: string;
}

export interface ErbResult {
  text: string;
  /** lineMap[i] = 1-based source line of output line i + 1. */
  lineMap: number[];
}

export class ErbError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const SUPPORTED_HINT =
  'supported forms: <%= ENV["X"] %>, <%= ENV.fetch("X") %>, <%= ENV.fetch("X", "default") %>, <%= ENV["X"] || "default" %>; put secrets in .kamal/secrets instead of computing them in deploy.yml';

export function localDockerArch(arch: string = process.arch): string {
  return arch === "arm64" ? "arm64" : arch === "x64" ? "amd64" : arch;
}

export function renderErb(source: string, context: ErbContext): ErbResult {
  let out = "";
  const lineMap: number[] = [];
  let pending = true; // the next output character starts a new output line
  let line = 1;
  let col = 1;
  let i = 0;
  const put = (ch: string, srcLine: number) => {
    if (pending) {
      lineMap.push(srcLine);
      pending = false;
    }
    out += ch;
    if (ch === "\n") pending = true;
  };
  const emit = (text: string, srcLine: number) => {
    for (const ch of text) put(ch, srcLine);
  };
  const advance = (text: string) => {
    for (const ch of text) {
      if (ch === "\n") {
        line++;
        col = 1;
      } else col++;
    }
  };
  while (i < source.length) {
    const open = source.indexOf("<%", i);
    if (open === -1) {
      copyText(source.slice(i));
      break;
    }
    // Literal "<%%" renders as "<%".
    if (source[open + 2] === "%") {
      copyText(source.slice(i, open));
      emit("<%", line);
      advance("<%%");
      i = open + 3;
      continue;
    }
    let before = source.slice(i, open);
    const trimLeft = source[open + 2] === "-";
    if (trimLeft) {
      // "<%-": drop the indentation before the tag when only blanks precede it on its line.
      const lastNl = before.lastIndexOf("\n");
      const lineStart = lastNl === -1 ? (out.length === 0 || out.endsWith("\n") ? 0 : -1) : lastNl + 1;
      if (lineStart !== -1 && /^[ \t]*$/.test(before.slice(lineStart))) {
        copyText(before.slice(0, lineStart));
        advance(before.slice(lineStart));
        before = "";
      }
    }
    copyText(before);
    const tagLine = line;
    const tagCol = col;
    const close = source.indexOf("%>", open + 2);
    if (close === -1) throw new ErbError("unclosed ERB tag: `<%` without a matching `%>`", tagLine, tagCol);
    let inner = source.slice(open + 2, close);
    if (trimLeft) inner = inner.slice(1);
    let end = close + 2;
    const trimRight = inner.endsWith("-");
    if (trimRight) inner = inner.slice(0, -1);
    advance(source.slice(open, end));
    if (trimRight) {
      // "-%>": swallow the newline that follows the tag.
      if (source.startsWith("\r\n", end)) {
        advance("\r\n");
        end += 2;
      } else if (source[end] === "\n") {
        advance("\n");
        end += 1;
      }
    }
    if (inner.startsWith("#") || (/^\s*#/.test(inner) && !inner.includes("\n"))) {
      // Comment.
    } else if (inner.startsWith("=")) {
      const value = evaluate(inner.slice(1), context, tagLine, tagCol);
      emit(value, tagLine);
    } else if (inner.trim() !== "") {
      throw new ErbError(`unsupported ERB code \`<%${inner}%>\`: sextant evaluates ERB output tags only, never Ruby code`, tagLine, tagCol, SUPPORTED_HINT);
    }
    i = end;
  }
  if (pending) lineMap.push(line);
  return { text: out, lineMap };

  function copyText(text: string) {
    for (const ch of text) {
      put(ch, line);
      if (ch === "\n") {
        line++;
        col = 1;
      } else col++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A tiny expression language: string literals, ENV lookups, ||, ==, !=, ?:, parentheses.

type Token = { kind: "str"; value: string; pos: number } | { kind: "num"; value: string; pos: number } | { kind: "ident"; value: string; pos: number } | { kind: "punct"; value: string; pos: number };

function tokenize(code: string, line: number, col: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new ErbError(message, line, col + 3 + at, SUPPORTED_HINT);
  };
  while (i < code.length) {
    const ch = code[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= code.length) fail("unterminated string literal", start);
        const c = code[i]!;
        if (c === ch) {
          i++;
          break;
        }
        if (c === "\\") {
          const n = code[i + 1] ?? "";
          if (ch === "'") value += n === "'" || n === "\\" ? n : `\\${n}`;
          else value += ({ n: "\n", t: "\t", r: "\r", "0": "\0", e: "\x1b", s: " " } as Record<string, string>)[n] ?? n;
          i += 2;
          continue;
        }
        if (ch === '"' && c === "#" && code[i + 1] === "{") fail("string interpolation #{...} is not supported", i);
        value += c;
        i++;
      }
      tokens.push({ kind: "str", value, pos: start });
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const m = /^[0-9][0-9_]*(\.[0-9]+)?/.exec(code.slice(i))!;
      tokens.push({ kind: "num", value: m[0].replaceAll("_", ""), pos: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*[?!]?/.exec(code.slice(i))!;
      tokens.push({ kind: "ident", value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const two = code.slice(i, i + 2);
    if (two === "||" || two === "==" || two === "!=") {
      tokens.push({ kind: "punct", value: two, pos: i });
      i += 2;
      continue;
    }
    if ("[](),.?:".includes(ch)) {
      tokens.push({ kind: "punct", value: ch, pos: i });
      i++;
      continue;
    }
    fail(`unsupported ERB syntax at \`${code.slice(i).trim()}\``, i);
  }
  return tokens;
}

type Value = string | number | undefined;

function evaluate(code: string, context: ErbContext, line: number, col: number): string {
  const tokens = tokenize(code, line, col);
  let p = 0;
  const fail = (message: string, token?: Token): never => {
    throw new ErbError(message, line, col + 3 + (token?.pos ?? code.length), SUPPORTED_HINT);
  };
  const peek = () => tokens[p];
  const isPunct = (value: string) => tokens[p]?.kind === "punct" && tokens[p]!.value === value;
  const expect = (value: string) => {
    if (!isPunct(value)) fail(`expected \`${value}\` in \`<%=${code}%>\``, peek());
    p++;
  };
  const unsupported = (token?: Token): never => fail(`unsupported ERB expression \`<%=${code}%>\`: sextant evaluates ERB without running Ruby`, token);

  function ternary(): Value {
    const cond = or();
    if (!isPunct("?")) return cond;
    p++;
    const a = ternary();
    expect(":");
    const b = ternary();
    return cond !== undefined ? a : b;
  }
  // Ruby truthiness: only nil (and false) are falsy; "" is truthy.
  function or(): Value {
    let left = equality();
    while (isPunct("||")) {
      p++;
      const right = equality();
      if (left === undefined) left = right;
    }
    return left;
  }
  function equality(): Value {
    const left = primary();
    if (isPunct("==") || isPunct("!=")) {
      const op = tokens[p++]!.value;
      const right = primary();
      const same = left === right || (left !== undefined && right !== undefined && String(left) === String(right) && typeof left === typeof right);
      // Booleans are represented as "true"/"" strings of a comparison.
      return (op === "==") === same ? "true" : undefined;
    }
    return left;
  }
  function primary(): Value {
    const token = peek();
    if (!token) return fail(`incomplete ERB expression \`<%=${code}%>\``);
    if (token.kind === "str") {
      p++;
      return token.value;
    }
    if (token.kind === "num") {
      p++;
      return Number(token.value);
    }
    if (token.kind === "punct" && token.value === "(") {
      p++;
      const v = ternary();
      expect(")");
      return v;
    }
    if (token.kind === "ident") {
      if (token.value === "nil") {
        p++;
        return undefined;
      }
      if (token.value === "Kamal::Utils" && tokens[p + 1]?.value === "." && tokens[p + 2]?.value === "docker_arch") {
        p += 3;
        return context.dockerArch ?? localDockerArch();
      }
      if (token.value === "ENV") {
        p++;
        if (isPunct("[")) {
          p++;
          const name = ternary();
          expect("]");
          if (typeof name !== "string") return fail("ENV[...] needs a string name", token);
          return context.env[name];
        }
        if (isPunct(".") && tokens[p + 1]?.value === "fetch") {
          p += 2;
          expect("(");
          const name = ternary();
          if (typeof name !== "string") return fail("ENV.fetch needs a string name", token);
          let fallback: Value;
          let hasFallback = false;
          if (isPunct(",")) {
            p++;
            fallback = ternary();
            hasFallback = true;
          }
          expect(")");
          const value = context.env[name];
          if (value !== undefined) return value;
          if (hasFallback) return fallback;
          throw new ErbError(`environment variable ${name} is not set (ENV.fetch("${name}") has no default)`, line, col, `set ${name} in the environment, or give a default: <%= ENV.fetch("${name}", "value") %>`);
        }
      }
    }
    return unsupported(token);
  }

  if (tokens.length === 0) return "";
  const value = ternary();
  if (p < tokens.length) unsupported(tokens[p]);
  return value === undefined ? "" : String(value);
}
