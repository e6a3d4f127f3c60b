/**
 * Kamal's global options, valid before or after any command (`sextant -d staging deploy` and
 * `sextant deploy -d staging` mean the same). They are parsed here, in one place, out of the whole
 * command line; what is left goes to the command's own parser.
 */
import { UsageError } from "../errors.ts";

export interface GlobalOptions {
  verbose: boolean;
  quiet: boolean;
  /** App version to act on (overrides VERSION and git). Not sextant's own version. */
  version?: string;
  primary: boolean;
  hosts?: string[];
  roles?: string[];
  configFile: string;
  destination?: string;
  skipHooks: boolean;
  lockWait: boolean;
  lockWaitTimeout: number;
  lockWaitInterval: number;
}

interface OptionSpec {
  key: keyof GlobalOptions;
  long: string;
  short?: string;
  kind: "boolean" | "string" | "list" | "seconds";
  valueHint?: string;
  description: string;
}

export const GLOBAL_OPTION_SPECS: readonly OptionSpec[] = [
  { key: "verbose", long: "verbose", short: "v", kind: "boolean", description: "Show every command run and its output" },
  { key: "quiet", long: "quiet", short: "q", kind: "boolean", description: "Only show errors" },
  { key: "version", long: "version", kind: "string", valueHint: "VERSION", description: "App version to act on (default: VERSION env, then git)" },
  { key: "primary", long: "primary", short: "p", kind: "boolean", description: "Only the primary host" },
  { key: "hosts", long: "hosts", short: "h", kind: "list", valueHint: "HOSTS", description: "Only these hosts (comma-separated, globs allowed)" },
  { key: "roles", long: "roles", short: "r", kind: "list", valueHint: "ROLES", description: "Only these roles (comma-separated, globs allowed)" },
  { key: "configFile", long: "config-file", short: "c", kind: "string", valueHint: "PATH", description: "Config file (default: config/deploy.yml)" },
  { key: "destination", long: "destination", short: "d", kind: "string", valueHint: "NAME", description: "Destination: also load config/deploy.NAME.yml" },
  { key: "skipHooks", long: "skip-hooks", short: "H", kind: "boolean", description: "Do not run hooks" },
  { key: "lockWait", long: "lock-wait", kind: "boolean", description: "Wait for the deploy lock instead of failing" },
  { key: "lockWaitTimeout", long: "lock-wait-timeout", kind: "seconds", valueHint: "SECONDS", description: "How long --lock-wait waits (default: 900)" },
  { key: "lockWaitInterval", long: "lock-wait-interval", kind: "seconds", valueHint: "SECONDS", description: "Seconds between lock checks (default: 15)" },
];

export function defaultGlobalOptions(): GlobalOptions {
  return {
    verbose: false,
    quiet: false,
    primary: false,
    configFile: "config/deploy.yml",
    skipHooks: false,
    lockWait: false,
    lockWaitTimeout: 900,
    lockWaitInterval: 15,
  };
}

/** Kamal (Thor) accepts `--skip_hooks` as well as `--skip-hooks`. */
function normalizeLong(name: string): string {
  return name.replaceAll("_", "-");
}

function findSpec(token: string): { spec: OptionSpec; inlineValue?: string; negated?: boolean } | undefined {
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    const rawName = normalizeLong(eq === -1 ? token.slice(2) : token.slice(2, eq));
    const inlineValue = eq === -1 ? undefined : token.slice(eq + 1);
    const spec = GLOBAL_OPTION_SPECS.find((s) => s.long === rawName);
    if (spec) return { spec, inlineValue };
    if (rawName.startsWith("no-")) {
      const negatedSpec = GLOBAL_OPTION_SPECS.find((s) => s.long === rawName.slice(3) && s.kind === "boolean");
      if (negatedSpec) return { spec: negatedSpec, negated: true };
    }
    return undefined;
  }
  if (/^-[A-Za-z]$/.test(token)) {
    const spec = GLOBAL_OPTION_SPECS.find((s) => s.short === token.slice(1));
    return spec ? { spec } : undefined;
  }
  // `-dstaging`: a short option with its value attached.
  if (/^-[A-Za-z]./.test(token) && !token.startsWith("--")) {
    const spec = GLOBAL_OPTION_SPECS.find((s) => s.short === token[1] && s.kind !== "boolean");
    return spec ? { spec, inlineValue: token.slice(2) } : undefined;
  }
  return undefined;
}

export interface SplitArgs {
  globals: GlobalOptions;
  /** The command line without the global options, for the command's own parser. */
  rest: string[];
  /** `--version` given with no value: the user wants sextant's version. */
  bareVersion: boolean;
}

/**
 * Take the global options out of argv. Stops at `--`: what follows belongs to the command
 * (e.g. `sextant app exec -- ls -la`).
 */
export function splitGlobalOptions(argv: readonly string[]): SplitArgs {
  const globals = defaultGlobalOptions();
  const rest: string[] = [];
  let bareVersion = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const found = findSpec(token);
    if (!found) {
      rest.push(token);
      continue;
    }
    const { spec, negated } = found;
    if (spec.kind === "boolean") {
      if (found.inlineValue !== undefined && !["true", "false"].includes(found.inlineValue)) {
        throw new UsageError(`--${spec.long} takes no value (got "${found.inlineValue}")`);
      }
      (globals[spec.key] as boolean) = negated ? false : found.inlineValue !== "false";
      continue;
    }
    let value = found.inlineValue;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) {
        if (spec.key === "version") {
          bareVersion = true;
          continue;
        }
        throw new UsageError(`--${spec.long} needs a value`, { hint: `e.g. --${spec.long} ${spec.valueHint ?? "VALUE"}` });
      }
      value = next;
      i++;
    }
    assignValue(globals, spec, value);
  }
  return { globals, rest, bareVersion };
}

function assignValue(globals: GlobalOptions, spec: OptionSpec, value: string): void {
  switch (spec.kind) {
    case "list": {
      const list = value
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      if (list.length === 0) throw new UsageError(`--${spec.long} needs at least one name`);
      (globals[spec.key] as string[]) = list;
      return;
    }
    case "seconds": {
      const n = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) {
        throw new UsageError(`--${spec.long} takes a number of seconds (got "${value}")`);
      }
      (globals[spec.key] as number) = n;
      return;
    }
    default:
      if (value === "") throw new UsageError(`--${spec.long} needs a value`);
      (globals[spec.key] as string) = value;
  }
}

/** Help text lines for the global options, appended to every command's --help. */
export function renderGlobalOptionsHelp(): string {
  const rows = GLOBAL_OPTION_SPECS.map((s) => {
    const flag = [s.short ? `-${s.short}` : undefined, `--${s.long}`].filter(Boolean).join(", ");
    return [s.valueHint ? `${flag} ${s.valueHint}` : flag, s.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return ["GLOBAL OPTIONS", "", ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`)].join("\n");
}
