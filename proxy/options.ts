/**
 * Service and target option defaults, kamal-proxy's option validation (with its exact messages) and the
 * normalisation of hosts, path prefixes and target names.
 */

import { isDigits, isWordChar } from "./chars.ts";
import { DEFAULT_HEALTH_CHECK, type ServiceOptions, type TargetOptions } from "./protocol.ts";

export function defaultServiceOptions(): ServiceOptions {
  return {
    hosts: [],
    path_prefixes: ["/"],
    tls_enabled: false,
    tls_certificate_path: "",
    tls_private_key_path: "",
    tls_on_demand_url: "",
    tls_redirect: true,
    canonical_host: "",
    acme_directory: "",
    acme_cache_path: "",
    error_page_path: "",
    strip_prefix: true,
    writer_affinity_timeout: 1000,
    read_targets_accept_websockets: false,
    exclude_metrics_paths: null,
    client_ip_header: "",
    basic_auth: null,
  };
}

export function defaultTargetOptions(): TargetOptions {
  return {
    health_check_config: { ...DEFAULT_HEALTH_CHECK },
    response_timeout: 30_000,
    buffer_requests: false,
    buffer_responses: false,
    max_memory_buffer_size: 1 << 20,
    max_request_body_size: 0,
    max_response_body_size: 0,
    log_request_headers: null,
    log_response_headers: null,
    forward_headers: false,
    scope_cookie_paths: false,
  };
}

/** A host list "counts" only if non-empty and without empty entries, as in kamal-proxy. */
export function hostsConfigured(hosts: readonly string[]): boolean {
  return hosts.length > 0 && !hosts.includes("");
}

/** Each prefix becomes "/" + the prefix without leading/trailing slashes; none means ["/"]. */
export function normalizePrefixes(prefixes: readonly string[] | null | undefined): string[] {
  if (!prefixes || prefixes.length === 0) return ["/"];
  return prefixes.map((p) => "/" + p.replace(/^\/+|\/+$/g, ""));
}

/**
 * kamal-proxy's target pattern, /^\w[-_.\w+]+(:\d+)?$/: a word character, then one or more of
 * word characters and - _ . +, then optionally a colon and digits. Checked by a loop, as every deploy
 * checks it (see chars.ts for why the proxy's idle paths run no regex).
 */
export function isTargetPattern(target: string): boolean {
  const colon = target.indexOf(":");
  const host = colon < 0 ? target : target.slice(0, colon);
  if (host.length < 2 || !isWordChar(host.charCodeAt(0))) return false;
  for (let i = 1; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (!isWordChar(c) && c !== 45 /* - */ && c !== 46 /* . */ && c !== 43 /* + */) return false;
  }
  return colon < 0 || (colon < target.length - 1 && isDigits(target, colon + 1, target.length));
}

export function validateTarget(target: string): void {
  if (!isTargetPattern(target)) throw new Error(`${target} :invalid host pattern`);
}

function validateOnDemandUrl(url: string): string | undefined {
  if (url.startsWith("/")) return url.startsWith("//") ? "tls-on-demand-url must be a path or an absolute http(s) URL" : undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return "tls-on-demand-url must be a path or an absolute http(s) URL";
    return `unable to parse tls-on-demand-url: ${(e as Error).message}`;
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") return `unsupported scheme "${scheme}" in tls-on-demand-url`;
  if (!parsed.hostname) return "missing host in tls-on-demand-url";
  return undefined;
}

/** Returns the reason without the `service options invalid: ` prefix, or undefined when valid. */
export function serviceOptionsProblem(o: ServiceOptions): string | undefined {
  if (o.tls_on_demand_url && !o.tls_enabled) return "TLS must be enabled to use a TLS on-demand URL";
  if (o.tls_enabled && o.tls_on_demand_url) {
    if (o.hosts.length > 0) return "cannot set hosts when using a TLS on-demand URL";
    if (o.tls_certificate_path || o.tls_private_key_path) return "cannot use a custom certificate with a TLS on-demand URL";
    if (o.canonical_host) return "cannot set canonical-host when using a TLS on-demand URL";
    const bad = validateOnDemandUrl(o.tls_on_demand_url);
    if (bad) return bad;
  } else if (o.tls_enabled && !hostsConfigured(o.hosts)) return "host must be set when using TLS";
  if (o.tls_enabled && !normalizePrefixes(o.path_prefixes).includes("/")) return "TLS settings must be specified on the root path service";
  if (o.canonical_host && o.hosts.length > 0 && !o.hosts.includes(o.canonical_host)) return `canonical-host '${o.canonical_host}' must be present in the hosts list: [${o.hosts.join(" ")}]`;
  return undefined;
}

export function validateServiceOptions(o: ServiceOptions): void {
  const problem = serviceOptionsProblem(o);
  if (problem) throw new Error(`service options invalid: ${problem}`);
}
