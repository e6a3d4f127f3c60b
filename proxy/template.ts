/**
 * A tiny subset of Go's html/template for error pages: `{{ .Message }}`, `{{ .Status }}`,
 * `{{ if .X }}…{{ else }}…{{ end }}` and comments, with HTML escaping. Anything else fails to compile,
 * which turns into kamal-proxy's "unable to load error pages".
 */

import { isWordChar } from "./chars.ts";

type Node = { kind: "text"; text: string } | { kind: "field"; name: string } | { kind: "if"; name: string; whenSet: Node[]; otherwise: Node[] };

type TemplateData = Record<string, string | number | undefined>;
export type Template = (data: TemplateData) => string;

// No regular expressions here: the default error pages are compiled and rendered by every proxy (see
// chars.ts for why the idle paths run none).

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };

function escapeHtml(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const escaped = ESCAPES[s[i]!];
    if (escaped === undefined) continue;
    out += s.slice(from, i) + escaped;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** One or more of [A-Za-z0-9_] (a regex's \w+). */
function isWord(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isWordChar(s.charCodeAt(i))) return false;
  return true;
}

/** `.Name` → "Name"; anything else → undefined. */
const fieldName = (a: string): string | undefined => (a.startsWith(".") && isWord(a.slice(1)) ? a.slice(1) : undefined);

/** `if .Name` (any white space after `if`) → "Name"; anything else → undefined. */
function ifFieldName(a: string): string | undefined {
  if (!a.startsWith("if")) return undefined;
  const rest = a.slice(2).trimStart();
  return rest.length < a.length - 2 ? fieldName(rest) : undefined;
}

/** An action's text without Go's trim markers (`{{- ` and ` -}}`) and the white space around it. */
function actionText(raw: string): string {
  let a = raw;
  if (a.startsWith("-")) a = a.slice(1);
  if (a.endsWith("-")) a = a.slice(0, -1);
  return a.trim();
}

export function compileTemplate(source: string): Template {
  const tokens: { action?: string; text?: string }[] = [];
  let rest = source;
  while (rest.length) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      tokens.push({ text: rest });
      break;
    }
    if (open > 0) tokens.push({ text: rest.slice(0, open) });
    const close = rest.indexOf("}}", open + 2);
    if (close < 0) throw new Error("template: unclosed action");
    tokens.push({ action: actionText(rest.slice(open + 2, close)) });
    rest = rest.slice(close + 2);
  }
  let i = 0;
  const parse = (inIf: boolean): { nodes: Node[]; ended: "end" | "else" | "eof" } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if (t.text !== undefined) {
        nodes.push({ kind: "text", text: t.text });
        continue;
      }
      const a = t.action!;
      if (a.startsWith("/*") && a.endsWith("*/")) continue;
      if (a === "end" || a === "else") {
        if (!inIf) throw new Error(`template: unexpected {{${a}}}`);
        return { nodes, ended: a };
      }
      const cond = ifFieldName(a);
      if (cond !== undefined) {
        const then = parse(true);
        let other: Node[] = [];
        if (then.ended === "else") {
          const e = parse(true);
          if (e.ended !== "end") throw new Error("template: unexpected EOF");
          other = e.nodes;
        } else if (then.ended !== "end") throw new Error("template: unexpected EOF");
        nodes.push({ kind: "if", name: cond, whenSet: then.nodes, otherwise: other });
        continue;
      }
      const field = fieldName(a);
      if (field !== undefined) {
        nodes.push({ kind: "field", name: field });
        continue;
      }
      throw new Error(`template: unsupported action {{${a}}}`);
    }
    if (inIf) throw new Error("template: unexpected EOF");
    return { nodes, ended: "eof" };
  };
  const root = parse(false).nodes;
  const render = (nodes: Node[], data: TemplateData): string =>
    nodes
      .map((n) => {
        if (n.kind === "text") return n.text;
        const v = data[n.name];
        if (n.kind === "field") return escapeHtml(v === undefined ? "" : String(v));
        return render(v ? n.whenSet : n.otherwise, data);
      })
      .join("");
  return (data) => render(root, data);
}
