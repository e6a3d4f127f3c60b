/**
 * A small pflag-compatible parser: kamal-proxy's flags are cobra/pflag flags, and Kamal relies on their
 * syntax (`--flag=value`, `--flag value`, bare booleans, comma-separated StringSlices, Go durations).
 * Error texts follow pflag/cobra so `Error: <message>` reads the same as kamal-proxy's.
 */

import { isDigits } from "../chars.ts";
import { parseDuration } from "../duration.ts";

type FlagType = "string" | "bool" | "int" | "duration" | "list";
type FlagValue = string | boolean | number | string[];

export interface FlagSpec {
  name: string;
  type: FlagType;
  default: FlagValue;
  usage: string;
  required?: boolean;
}

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  /** Names given on the command line (some defaults depend on whether a flag was given at all). */
  given: Set<string>;
  args: string[];
  help: boolean;
}

const BOOL_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const BOOL_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** An optional sign, then one or more digits (Go's strconv.ParseInt syntax, base 10). */
function isInteger(raw: string): boolean {
  const from = raw.startsWith("-") || raw.startsWith("+") ? 1 : 0;
  return raw.length > from && isDigits(raw, from, raw.length);
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  const bad = (why: string): never => {
    throw new Error(`invalid argument "${raw}" for "--${spec.name}" flag: ${why}`);
  };
  switch (spec.type) {
    case "string":
      return raw;
    case "bool":
      if (BOOL_TRUE.has(raw)) return true;
      if (BOOL_FALSE.has(raw)) return false;
      return bad(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
    case "int":
      if (!isInteger(raw)) return bad(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    case "duration":
      try {
        return parseDuration(raw);
      } catch (e) {
        return bad((e as Error).message);
      }
    case "list":
      return raw === "" ? [] : splitCsv(raw);
  }
}

/** pflag reads StringSlice values as one CSV record, so quotes may protect commas. */
function splitCsv(raw: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quoted) {
      if (ch === '"' && raw[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === "") quoted = true;
    else if (ch === ",") out.push(cur), (cur = "");
    else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, FlagValue> = {};
  for (const s of specs) values[s.name] = Array.isArray(s.default) ? [...s.default] : s.default;
  const given = new Set<string>();
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-h" || a === "--help") {
      help = true;
      continue;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    if (!a.startsWith("--")) throw new Error(`unknown shorthand flag: '${a[1]}' in ${a}`);
    const eq = a.indexOf("=");
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = byName.get(name);
    if (!spec) throw new Error(`unknown flag: --${name}`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.type === "bool") raw = "true";
    else {
      if (i + 1 >= argv.length) throw new Error(`flag needs an argument: --${name}`);
      raw = argv[++i]!;
    }
    const v = convert(spec, raw);
    if (spec.type === "list") {
      // The first occurrence replaces the default; later ones append (pflag's StringSlice).
      values[name] = given.has(name) ? [...(values[name] as string[]), ...(v as string[])] : v;
    } else values[name] = v;
    given.add(name);
  }
  if (!help) {
    const missing = specs.filter((s) => s.required && !given.has(s.name)).map((s) => `"${s.name}"`);
    if (missing.length) throw new Error(`required flag(s) ${missing.join(", ")} not set`);
  }
  return { values, given, args, help };
}

export function renderFlagUsage(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const kind = s.type === "bool" ? "" : s.type === "list" ? " strings" : ` ${s.type}`;
    return [`      --${s.name}${kind}`, s.usage];
  });
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map(([l, u]) => `${l!.padEnd(width)}   ${u}`).join("\n");
}
