/**
 * Which hosts and roles a command acts on (Kamal's commander/specifics.rb): --hosts and
 * --roles with glob patterns, --primary, and the derived host lists in Kamal's order (hosts carrying
 * the primary role first).
 */
import type { Role, SextantConfig } from "../config/model.ts";
import { UsageError } from "../errors.ts";

export interface SelectionOptions {
  hosts?: string[];
  roles?: string[];
  primary?: boolean;
}

export interface Selection {
  /** Selected roles, primary role first. */
  roles: Role[];
  /** Selected hosts: role hosts and accessory hosts, in config order, primary-role hosts first. */
  hosts: string[];
  /** Hosts of the selected roles. */
  appHosts: string[];
  /** Selected hosts that run the proxy (proxy roles, proxied accessories). */
  proxyHosts: string[];
  /** Accessory hosts among the selected hosts. */
  accessoryHosts: string[];
  primaryHost?: string;
  /** The primary role among the selected roles (the barrier's role). */
  primaryRole?: Role;
  /** Roles of the selection on a host, primary first. */
  rolesOn(host: string): Role[];
}

/** fnmatch-style matching: `*`, `?`, `[...]` and `{a,b}` (Kamal uses File.fnmatch with extglob). */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      const end = pattern.indexOf("}", i + 1);
      if (end === -1) out += "\\{";
      else {
        out += `(?:${pattern.slice(i + 1, end).split(",").map(escapeRegExp).join("|")})`;
        i = end;
      }
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** For each pattern in order, the matching names in their order; union. */
function matching(names: readonly string[], patterns: readonly string[]): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    const re = globToRegExp(pattern);
    for (const name of names) if (re.test(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

const unique = <T>(items: T[]): T[] => [...new Set(items)];

export function select(config: SextantConfig, options: SelectionOptions = {}): Selection {
  const allRoles = config.rolesPrimaryFirst;
  let hostFilter: string[] | undefined;
  if (options.hosts) {
    hostFilter = matching(config.allHosts, options.hosts);
    if (hostFilter.length === 0) throw new UsageError(`No --hosts match for ${options.hosts.join(",")}`, { hint: `Hosts: ${config.allHosts.join(", ")}` });
  }
  let roleFilter: Role[] | undefined;
  if (options.roles) {
    const names = matching(allRoles.map((r) => r.name), options.roles);
    if (names.length === 0) throw new UsageError(`No --roles match for ${options.roles.join(",")}`, { hint: `Roles: ${allRoles.map((r) => r.name).join(", ")}` });
    roleFilter = allRoles.filter((r) => names.includes(r.name));
  }
  if (options.primary) {
    const first = (roleFilter ?? allRoles)[0];
    const primary = roleFilter ? first?.primaryHost : config.primaryHost;
    hostFilter = primary ? [primary] : [];
  }
  const candidateRoles = roleFilter ?? allRoles;
  const roles = hostFilter ? candidateRoles.filter((r) => r.hosts.some((h) => hostFilter!.includes(h))) : candidateRoles;
  let hosts = hostFilter ?? config.allHosts;
  if (roleFilter) hosts = hosts.filter((h) => roles.some((r) => r.hosts.includes(h)));

  const primaryRole = roles.find((r) => r.name === config.primaryRoleName) ?? roles[0];
  const carriesPrimary = (h: string) => primaryRole?.hosts.includes(h) ?? false;
  const sorted = [...hosts].sort((a, b) => Number(carriesPrimary(b)) - Number(carriesPrimary(a)));
  const appHosts = unique(roles.flatMap((r) => r.hosts)).filter((h) => sorted.includes(h));
  const proxyHosts = config.proxyHosts.filter((h) => sorted.includes(h) && (roles.some((r) => r.runningProxy && r.hosts.includes(h)) || config.proxyAccessories.some((a) => a.hosts.includes(h))));
  const primaryHost = options.hosts?.length ? hostFilter?.[0] : (primaryRole?.primaryHost ?? config.primaryHost);
  return {
    roles,
    hosts: sorted,
    appHosts: [...appHosts].sort((a, b) => Number(carriesPrimary(b)) - Number(carriesPrimary(a))),
    proxyHosts,
    accessoryHosts: unique(config.accessories.flatMap((a) => a.hosts)).filter((h) => sorted.includes(h)),
    primaryHost,
    primaryRole,
    rolesOn: (host) => roles.filter((r) => r.hosts.includes(host)),
  };
}
