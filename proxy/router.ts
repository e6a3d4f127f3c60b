/**
 * The service map and routing table: host → bindings of (path prefix, service), longest prefix first,
 * rebuilt on every change. Host lookup is exact, then a one-label wildcard, then the default host "".
 * Once a host has bindings there is no fallback, so an unmatched path there is a 404.
 */
import type { Service } from "./service.ts";

export interface Binding {
  prefix: string;
  service: Service;
}

export interface RouteMatch {
  service: Service;
  prefix: string;
}

export const hostKeys = (hosts: readonly string[]): string[] => (hosts.length === 0 ? [""] : [...hosts]);

/** `/app` matches `/app` and `/app/x`, not `/appointment`. */
function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === "/") return true;
  return (path + "/").startsWith(prefix + "/");
}

export function stripPrefix(prefix: string, path: string): string {
  const rest = path.slice(prefix.length);
  return rest === "" ? "/" : rest.startsWith("/") ? rest : "/" + rest;
}

export class Router {
  readonly services = new Map<string, Service>();
  private table = new Map<string, Binding[]>();

  private bindingsFor(host: string): Binding[] | undefined {
    const exact = this.table.get(host);
    if (exact) return exact;
    const dot = host.indexOf(".");
    if (dot >= 0) {
      const wild = this.table.get("*" + host.slice(dot));
      if (wild) return wild;
    }
    return this.table.get("");
  }

  lookup(host: string, path: string): RouteMatch | undefined {
    const bindings = this.bindingsFor(host);
    if (!bindings) return undefined;
    for (const b of bindings) if (prefixMatches(b.prefix, path)) return { service: b.service, prefix: b.prefix };
    return undefined;
  }

  /** The service a host goes to under any path (the first binding): what a TLS handshake knows of. */
  serviceForHost(host: string): Service | undefined {
    return this.bindingsFor(host)?.[0]?.service;
  }

  /** The name of another service already owning one of these (host, prefix) pairs, if any. */
  conflict(name: string, hosts: readonly string[], prefixes: readonly string[]): string | undefined {
    for (const host of hostKeys(hosts)) {
      for (const b of this.table.get(host) ?? []) {
        if (b.service.name !== name && prefixes.includes(b.prefix)) return b.service.name;
      }
    }
    return undefined;
  }

  rebuild(): void {
    const table = new Map<string, Binding[]>();
    for (const service of this.services.values()) {
      for (const host of hostKeys(service.options.hosts)) {
        const list = table.get(host) ?? [];
        for (const prefix of service.options.path_prefixes) list.push({ prefix, service });
        table.set(host, list);
      }
    }
    for (const list of table.values()) list.sort((a, b) => b.prefix.length - a.prefix.length);
    this.table = table;
    // Prefix services take TLS and redirect from the root service of their first host; without one,
    // TLS is off and redirect on. Recomputed each time, so removing the root reverts them.
    for (const service of this.services.values()) {
      if (service.servesRoot) {
        service.tlsEnabled = service.options.tls_enabled;
        service.tlsRedirect = service.options.tls_redirect;
        continue;
      }
      const root = this.lookup(service.options.hosts[0] ?? "", "/");
      const rootService = root?.service.servesRoot ? root.service : undefined;
      service.tlsEnabled = rootService?.options.tls_enabled ?? false;
      service.tlsRedirect = rootService?.options.tls_redirect ?? true;
    }
  }

  /** The first host of a TLS service with configured hosts: used for handshakes without SNI. */
  defaultTlsHostname(): string {
    for (const s of this.services.values()) {
      if (s.options.tls_enabled && !s.options.tls_on_demand_url && s.options.hosts[0]) return s.options.hosts[0];
    }
    return "";
  }
}
