/**
 * The subset of OpenSSH's client configuration (ssh_config(5)) that a deploy needs: Host blocks
 * with patterns (`*`, `?`, `!negation`), Include, and the keywords below. As in OpenSSH the first
 * value obtained for a keyword wins; IdentityFile accumulates. `Match` blocks are skipped (except
 * `Match all`), since their criteria (exec, localuser, ...) can't be evaluated faithfully here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";

/** Settings for one host, as found in the config files (undefined: not set). */
export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  proxyJump?: string;
  proxyCommand?: string;
  strictHostKeyChecking?: HostKeyPolicy;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  hashKnownHosts?: boolean;
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  forwardAgent?: boolean;
}

/** What to do with a host key: refuse unknown ones, add unknown ones, or not check (changed keys are always refused). */
export type HostKeyPolicy = "yes" | "accept-new" | "no";

interface Entry {
  key: string;
  value: string;
  args: string[];
}

/** A Host block: it applies when every one of its pattern lists matches (an empty list: always; Include nests). */
interface Block {
  conditions: (readonly string[] | "never")[];
  entries: Entry[];
}

/** The default config files OpenSSH reads: ~/.ssh/config then /etc/ssh/ssh_config. */
export function defaultSshConfigFiles(home: string = homedir()): string[] {
  return [join(home, ".ssh", "config"), "/etc/ssh/ssh_config"];
}

/** Split a config line's arguments: whitespace separated, double quotes group. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  let have = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuote = !inQuote;
      have = true;
    } else if (!inQuote && (ch === " " || ch === "\t")) {
      if (have) out.push(cur);
      cur = "";
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

/** Parse config text into blocks. `include` reads an Include'd file's blocks (already parsed). */
export function parseSshConfig(text: string, include?: (pattern: string) => Block[]): Block[] {
  const blocks: Block[] = [{ conditions: [], entries: [] }];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const args = splitArgs(m[2]!.trim());
    if (key === "host") {
      blocks.push({ conditions: [args], entries: [] });
    } else if (key === "match") {
      blocks.push({ conditions: args.length === 1 && args[0]!.toLowerCase() === "all" ? [] : ["never"], entries: [] });
    } else if (key === "include") {
      const current = blocks[blocks.length - 1]!;
      for (const pattern of args) {
        // Include'd blocks apply within the current block's condition, as in OpenSSH.
        for (const inner of include?.(pattern) ?? []) {
          blocks.push({ conditions: [...current.conditions, ...inner.conditions], entries: inner.entries });
        }
        // Lines after the Include still belong to the enclosing block.
        blocks.push({ conditions: current.conditions, entries: [] });
      }
    } else {
      blocks[blocks.length - 1]!.entries.push({ key, value: args.join(" "), args });
    }
  }
  return blocks;
}

/** OpenSSH wildcard match: `*` any run, `?` one character; case-insensitive for host names. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${[...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`, "i");
  return re.test(text);
}

/** Whether a Host line's patterns select `host`: some positive pattern matches and no negated one does. */
export function hostPatternsMatch(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (wildcardMatch(p.slice(1), host)) return false;
    } else if (wildcardMatch(p, host)) {
      matched = true;
    }
  }
  return matched;
}

function yesNo(v: string): boolean | undefined {
  const s = v.toLowerCase();
  if (s === "yes" || s === "true") return true;
  if (s === "no" || s === "false") return false;
  return undefined;
}

/** Expand `~` and the tokens %d %h %p %r %u %% in a path-like value. */
export function expandPath(value: string, ctx: { home: string; host?: string; port?: number; user?: string; localUser?: string }): string {
  let v = value;
  if (v === "~" || v.startsWith("~/")) v = ctx.home + v.slice(1);
  return v.replace(/%([%dhpru])/g, (_, t: string) => {
    switch (t) {
      case "%":
        return "%";
      case "d":
        return ctx.home;
      case "h":
        return ctx.host ?? "";
      case "p":
        return String(ctx.port ?? 22);
      case "r":
        return ctx.user ?? "";
      default:
        return ctx.localUser ?? "";
    }
  });
}

/** The settings that apply to `host` (the name as given, before HostName). First value wins. */
export function lookupHost(blocks: readonly Block[], host: string): SshConfigHost {
  const out: SshConfigHost = { identityFiles: [] };
  const seen = new Set<string>();
  for (const block of blocks) {
    if (!block.conditions.every((c) => c !== "never" && hostPatternsMatch(c, host))) continue;
    for (const { key, value, args } of block.entries) {
      if (key === "identityfile") {
        if (value.toLowerCase() !== "none") out.identityFiles.push(value);
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      switch (key) {
        case "hostname":
          out.hostName = value;
          break;
        case "user":
          out.user = value;
          break;
        case "port": {
          const n = Number(value);
          if (Number.isInteger(n) && n > 0 && n < 65536) out.port = n;
          break;
        }
        case "identitiesonly":
          out.identitiesOnly = yesNo(value);
          break;
        case "identityagent":
          out.identityAgent = value;
          break;
        case "proxyjump":
          out.proxyJump = value;
          break;
        case "proxycommand":
          out.proxyCommand = value;
          break;
        case "stricthostkeychecking": {
          const s = value.toLowerCase();
          out.strictHostKeyChecking = s === "accept-new" ? "accept-new" : s === "no" || s === "off" || s === "false" ? "no" : "yes";
          break;
        }
        case "userknownhostsfile":
          out.userKnownHostsFiles = args;
          break;
        case "globalknownhostsfile":
          out.globalKnownHostsFiles = args;
          break;
        case "hashknownhosts":
          out.hashKnownHosts = yesNo(value);
          break;
        case "connecttimeout":
          out.connectTimeout = Number(value) || undefined;
          break;
        case "serveraliveinterval":
          out.serverAliveInterval = Number(value) || undefined;
          break;
        case "serveralivecountmax":
          out.serverAliveCountMax = Number(value) || undefined;
          break;
        case "forwardagent":
          out.forwardAgent = yesNo(value);
          break;
      }
    }
  }
  return out;
}

/** Read and parse config files (missing files are skipped), following Include (relative to ~/.ssh). */
export function loadSshConfig(files: readonly string[], home: string = homedir()): Block[] {
  const blocks: Block[] = [];
  let depth = 0;
  const readFile = (path: string): Block[] => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return [];
    }
    if (++depth > 16) return [];
    try {
      return parseSshConfig(text, (pattern) => {
        const full = expandPath(pattern, { home });
        const abs = isAbsolute(full) ? full : join(home, ".ssh", full);
        return globFiles(abs).flatMap(readFile);
      });
    } finally {
      depth--;
    }
  };
  for (const f of files) blocks.push(...readFile(f));
  return blocks;
}

/** Files matching a path whose last component may contain * or ?. */
function globFiles(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  try {
    return readdirSync(dirname(path))
      .filter((f) => wildcardMatch(name, f))
      .sort()
      .map((f) => join(dirname(path), f));
  } catch {
    return [];
  }
}

export type SshConfigBlocks = Block[];
