/**
 * A tiny subset of Go's html/template for error pages: `{{ .Message }}`, `{{ .Status }}`,
 * `{{ if .X }}…{{ else }}…{{ end }}` and comments, with HTML escaping. Anything else fails to compile,
 * which turns into kamal-proxy's "unable to load error pages".
 */

type Node = { kind: "text"; text: string } | { kind: "field"; name: string } | { kind: "if"; name: string; whenSet: Node[]; otherwise: Node[] };

type TemplateData = Record<string, string | number | undefined>;
export type Template = (data: TemplateData) => string;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

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
    tokens.push({
      action: rest
        .slice(open + 2, close)
        .replace(/^-\s*|\s*-$/g, "")
        .trim(),
    });
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
      const cond = /^if\s+\.(\w+)$/.exec(a);
      if (cond) {
        const then = parse(true);
        let other: Node[] = [];
        if (then.ended === "else") {
          const e = parse(true);
          if (e.ended !== "end") throw new Error("template: unexpected EOF");
          other = e.nodes;
        } else if (then.ended !== "end") throw new Error("template: unexpected EOF");
        nodes.push({ kind: "if", name: cond[1]!, whenSet: then.nodes, otherwise: other });
        continue;
      }
      const field = /^\.(\w+)$/.exec(a);
      if (field) {
        nodes.push({ kind: "field", name: field[1]! });
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
