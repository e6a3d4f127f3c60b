/**
 * YAML as Kamal (Ruby's Psych, `unsafe_load`) reads it, with the position of every key and value.
 *
 * The document is parsed with the failsafe schema (every scalar a string) and plain scalars are
 * then resolved with Psych's YAML 1.1 rules: yes/no/on/off are booleans, 40_000_000 is an
 * integer, 0755 is octal, `:verbose` is a Ruby symbol (read as the string "verbose"), ~ is null.
 * Anchors, aliases and merge keys (`<<: *base`) work; duplicate keys are reported.
 */
import { type Alias, type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from "yaml";
import type { Position, Problem } from "./errors.ts";

export type Path = readonly (string | number)[];

export interface NodePosition {
  value: Position;
  key?: Position;
}

/** Positions of every value (and key) in a parsed file, by path. */
export class PositionIndex {
  private readonly map = new Map<string, NodePosition>();
  static keyOf(path: Path): string {
    return path.join("\x1f");
  }
  set(path: Path, position: NodePosition): void {
    this.map.set(PositionIndex.keyOf(path), position);
  }
  get(path: Path): NodePosition | undefined {
    return this.map.get(PositionIndex.keyOf(path));
  }
  /** The closest known position (a key's own position when it has one), else its nearest ancestor's. */
  nearest(path: Path): Position | undefined {
    for (let n = path.length; n >= 0; n--) {
      const found = this.get(path.slice(0, n));
      if (found) return found.key ?? found.value;
    }
    return undefined;
  }
  /** Layer: positions of `over` win, the rest come from this index. */
  overlay(over: PositionIndex): PositionIndex {
    const merged = new PositionIndex();
    for (const [k, v] of this.map) merged.map.set(k, v);
    for (const [k, v] of over.map) merged.map.set(k, v);
    return merged;
  }
}

export interface ParsedYaml {
  value: unknown;
  positions: PositionIndex;
  problems: Problem[];
}

export interface ParseOptions {
  file: string;
  /** Output line -> source line, when the text was rendered from ERB. */
  lineMap?: readonly number[];
}

export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function parseYaml(text: string, options: ParseOptions): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: false, lineCounter, prettyErrors: false, strict: false });
  const problems: Problem[] = [];
  const positions = new PositionIndex();
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: options.file, line: options.lineMap?.[line - 1] ?? line, col };
  };
  const errorLines = new Set<number>();
  for (const error of doc.errors) {
    const offset = error.pos[0];
    const { line } = lineCounter.linePos(offset);
    if (errorLines.has(line)) continue; // one error per line: the first is the cause
    errorLines.add(line);
    const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    problems.push({ path: "", message: `YAML syntax error: ${message}`, at: at(offset), hint: yamlHint(error.code) });
  }
  for (const warning of doc.warnings) {
    const tag = /Unresolved tag: (\S+)/.exec(warning.message)?.[1];
    if (warning.code !== "TAG_RESOLVE_FAILED" || !tag || SUPPORTED_TAGS.includes(tag)) continue;
    problems.push({ path: "", message: `unsupported YAML tag ${tag}`, at: at(warning.pos[0]), hint: "remove the tag; plain values are enough" });
  }
  if (problems.length > 0) return { value: undefined, positions, problems };

  const converting = new Set<Node>();
  const convert = (node: unknown, path: Path): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(doc as Document);
      if (!target) {
        problems.push({ path: show(path), message: `unknown YAML alias *${(node as Alias).source}`, at: at((node as Alias).range?.[0] ?? 0) });
        return null;
      }
      if (converting.has(target)) {
        problems.push({ path: show(path), message: `recursive YAML alias *${(node as Alias).source}`, at: at((node as Alias).range?.[0] ?? 0) });
        return null;
      }
      return convert(target, path);
    }
    const n = node as Node;
    if (n.range) {
      const existing = positions.get(path);
      positions.set(path, { value: at(n.range[0]), key: existing?.key });
    }
    if (isScalar(n)) return resolveScalar(n, path);
    converting.add(n);
    try {
      if (isSeq(n)) return n.items.map((item, i) => convert(item, [...path, i]));
      if (isMap(n)) {
        const out: Record<string, unknown> = {};
        const explicit = new Map<string, Position>();
        const merged: unknown[] = [];
        for (const pair of n.items) {
          const keyNode = pair.key as Node | null;
          if (isScalar(keyNode) && keyNode.type === "PLAIN" && keyNode.value === "<<") {
            merged.push(pair.value);
            continue;
          }
          const key = keyToString(keyNode, path);
          const keyPos = keyNode && (keyNode as Node).range ? at((keyNode as Node).range![0]) : undefined;
          const seen = explicit.get(key);
          if (seen) {
            problems.push({
              path: show([...path, key]),
              message: `duplicate key \`${key}\` (also at line ${seen.line}); YAML would silently keep only the last one`,
              at: keyPos,
              hint: "remove or merge one of the two entries",
            });
          }
          if (keyPos) explicit.set(key, keyPos);
          positions.set([...path, key], { value: keyPos ?? at(n.range?.[0] ?? 0), key: keyPos });
          setOwn(out, key, convert(pair.value, [...path, key]));
        }
        // Merge keys: explicit keys win, then earlier merged mappings win over later ones.
        for (const source of merged) {
          const sources = isSeq(source) ? (source.items as unknown[]) : [source];
          for (const item of sources) {
            const value = convert(item, path);
            if (value === null || typeof value !== "object" || Array.isArray(value)) {
              problems.push({ path: show(path), message: "`<<` merge key needs a mapping (or a list of mappings)", at: at((item as Node)?.range?.[0] ?? 0) });
              continue;
            }
            for (const [k, v] of Object.entries(value)) if (!Object.hasOwn(out, k)) setOwn(out, k, v);
          }
        }
        return out;
      }
    } finally {
      converting.delete(n);
    }
    return null;
  };

  const keyToString = (keyNode: Node | null, path: Path): string => {
    if (keyNode === null) return "";
    if (isScalar(keyNode)) {
      const v = resolveScalar(keyNode, path);
      return v === null ? "" : String(v);
    }
    problems.push({ path: show(path), message: "complex (non-scalar) mapping keys are not supported", at: at(keyNode.range?.[0] ?? 0) });
    return "?";
  };

  const resolveScalar = (node: Scalar, path: Path): unknown => {
    const raw = String(node.value ?? "");
    const tag = node.tag;
    if (tag && tag !== "tag:yaml.org,2002:str" && tag !== "!") {
      const resolved = resolveTagged(tag, raw);
      if (resolved === UNSUPPORTED) {
        problems.push({ path: show(path), message: `unsupported YAML tag ${tag}`, at: at(node.range?.[0] ?? 0), hint: "remove the tag; plain values are enough" });
        return raw;
      }
      return resolved;
    }
    if (tag === "tag:yaml.org,2002:str" || node.type !== "PLAIN") return raw;
    return resolvePlain(raw);
  };

  const value = doc.contents === null ? null : convert(doc.contents, []);
  return { value, positions, problems };
}

function show(path: Path): string {
  return path.join("/");
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation: nested keys need more spaces than their parent, and list items line up";
    case "TAB_AS_INDENT":
      return "YAML does not allow tabs for indentation; use spaces";
    case "MULTIPLE_DOCS":
      return "a config file holds one YAML document; remove the extra `---` sections";
    case "DUPLICATE_KEY":
      return "remove one of the duplicate keys";
    case "MULTILINE_IMPLICIT_KEY":
    case "BLOCK_AS_IMPLICIT_KEY":
    case "UNEXPECTED_TOKEN":
      return "check the indentation of this line and the one before; quote values that contain `: ` or start with a special character";
    default:
      return "check the indentation and quoting around this line";
  }
}

const UNSUPPORTED = Symbol("unsupported");
const SUPPORTED_TAGS = ["int", "float", "bool", "null", "str", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`);

function resolveTagged(tag: string, raw: string): unknown {
  switch (tag) {
    case "tag:yaml.org,2002:int": {
      const v = resolvePlain(raw);
      return typeof v === "number" ? v : UNSUPPORTED;
    }
    case "tag:yaml.org,2002:float": {
      const n = Number(raw.replaceAll("_", ""));
      return Number.isNaN(n) ? UNSUPPORTED : n;
    }
    case "tag:yaml.org,2002:bool": {
      const v = resolvePlain(raw);
      return typeof v === "boolean" ? v : UNSUPPORTED;
    }
    case "tag:yaml.org,2002:null":
      return null;
    default:
      return UNSUPPORTED;
  }
}

/** Psych's ScalarScanner rules for plain (unquoted) scalars. */
export function resolvePlain(raw: string): unknown {
  const s = raw;
  if (s === "" || s === "~" || /^(null|Null|NULL)$/.test(s)) return null;
  if (/^(yes|true|on)$/i.test(s)) return true;
  if (/^(no|false|off)$/i.test(s)) return false;
  // Ruby symbols (`:verbose`): Kamal uses their string form.
  if (/^:./.test(s)) {
    const quoted = /^:(["'])(.*)\1$/.exec(s);
    return quoted ? quoted[2] : s.slice(1);
  }
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(s) && !/_$/.test(s)) return Number(s.replaceAll("_", ""));
  if (/^[-+]?0b[01_]+$/.test(s)) return sign(s) * parseInt(s.replace(/^[-+]?0b/, "").replaceAll("_", ""), 2);
  if (/^[-+]?0x[0-9a-fA-F_]+$/.test(s)) return sign(s) * parseInt(s.replace(/^[-+]?0x/, "").replaceAll("_", ""), 16);
  if (/^[-+]?0[0-7_]+$/.test(s)) return sign(s) * parseInt(s.replace(/^[-+]?0/, "").replaceAll("_", ""), 8);
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/.test(s)) {
    const parts = s.replace(/^[-+]/, "").replaceAll("_", "").split(":").map(Number);
    return sign(s) * parts.reduce((acc, n) => acc * 60 + n, 0);
  }
  if (/^[-+]?([0-9][0-9_]*)?\.[0-9]*([eE][-+][0-9]+)?$/.test(s) && /[0-9]/.test(s)) return Number(s.replaceAll("_", ""));
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}

function sign(s: string): number {
  return s.startsWith("-") ? -1 : 1;
}
