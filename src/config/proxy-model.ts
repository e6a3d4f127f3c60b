/** Proxy settings as the deploy and proxy-boot code reads them (Kamal's Proxy and Proxy::Run). */

import { toText } from "./env-model.ts";
import { isHash } from "./schema/common.ts";

const DEFAULT_LOG_REQUEST_HEADERS = ["Cache-Control", "Last-Modified", "User-Agent"] as const;
const PROXY_MINIMUM_VERSION = "v0.9.2";
const PROXY_REPOSITORY = "basecamp/kamal-proxy";

export interface ProxyRunSettings {
  httpPort: number;
  httpsPort: number;
  metricsPort?: number;
  debug: boolean;
  logMaxSize: string;
  publish: boolean;
  bindIps?: string[];
  registry?: string;
  repository: string;
  version: string;
  /** `[registry/]repository:version` */
  image: string;
  options: Record<string, unknown>;
  /** `kamal-proxy run --http3`, the HTTPS port published over UDP too. */
  http3: boolean;
  /** No repository, registry or version written: the image is the deploy tool's own proxy. */
  imageUnset: boolean;
  /** The `run` hash as written, for equality checks. */
  raw: Record<string, unknown>;
}

export interface ProxySettings {
  hosts: string[];
  appPort: number;
  /** TLS on (Let's Encrypt, or the custom certificate below). */
  ssl: boolean;
  /** Secret names of a custom certificate, when `ssl` is a hash. */
  sslCertificate?: { certificatePem: string; privateKeyPem: string };
  customSslCertificate: boolean;
  sslRedirect?: boolean;
  forwardHeaders?: boolean;
  /** Seconds. */
  responseTimeout?: number;
  pathPrefixes: string[];
  stripPathPrefix?: boolean;
  healthcheck: { interval?: number; timeout?: number; path?: string; port?: number };
  /** A CDN's client-address header (e.g. True-Client-IP) that replaces X-Forwarded-For. */
  clientIpHeader?: string;
  /** Requests for the service's other hosts are redirected here. */
  canonicalHost?: string;
  excludeMetricsPaths: string[];
  /** On-demand TLS: the proxy asks this URL (or app path) whether a host may get a certificate. */
  tlsOnDemandUrl?: string;
  /** HTTP Basic auth: the username (a secret's name, or the name itself) and the password's secret name. */
  basicAuth?: { username: string; password: string };
  buffering: { requests: boolean; responses: boolean; memory?: number; maxRequestBody?: number; maxResponseBody?: number };
  logging: { requestHeaders: string[]; responseHeaders: string[] };
  run?: ProxyRunSettings;
  /** The (merged) proxy hash as written. */
  raw: Record<string, unknown>;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : value === undefined || value === null ? undefined : Number(value);
}

function bool(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(toText) : [];
}

function commaList(value: unknown): string[] {
  return value === undefined || value === null
    ? []
    : toText(value)
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

export function proxyRunSettings(raw: Record<string, unknown>): ProxyRunSettings {
  const registry = raw.registry === undefined ? undefined : toText(raw.registry);
  const repository = raw.repository === undefined ? PROXY_REPOSITORY : toText(raw.repository);
  const version = raw.version === undefined ? PROXY_MINIMUM_VERSION : toText(raw.version);
  return {
    httpPort: num(raw.http_port) ?? 80,
    httpsPort: num(raw.https_port) ?? 443,
    metricsPort: num(raw.metrics_port),
    debug: raw.debug === true,
    logMaxSize: raw.log_max_size === undefined ? "10m" : toText(raw.log_max_size),
    publish: raw.publish !== false,
    bindIps: Array.isArray(raw.bind_ips) ? list(raw.bind_ips) : undefined,
    registry,
    repository,
    version,
    image: `${[registry, repository].filter((p) => p !== undefined).join("/")}:${version}`,
    options: isHash(raw.options) ? raw.options : {},
    http3: raw.http3 === true,
    imageUnset: raw.repository === undefined && raw.registry === undefined && raw.version === undefined,
    raw,
  };
}

export function proxySettings(raw: Record<string, unknown>): ProxySettings {
  const ssl = raw.ssl;
  const sslHash = isHash(ssl) ? ssl : undefined;
  const certificatePem = sslHash?.certificate_pem === undefined ? undefined : toText(sslHash.certificate_pem);
  const privateKeyPem = sslHash?.private_key_pem === undefined ? undefined : toText(sslHash.private_key_pem);
  const healthcheck = isHash(raw.healthcheck) ? raw.healthcheck : {};
  const buffering = isHash(raw.buffering) ? raw.buffering : {};
  const logging = isHash(raw.logging) ? raw.logging : {};
  const run = isHash(raw.run) && Object.keys(raw.run).length > 0 ? proxyRunSettings(raw.run) : undefined;
  return {
    hosts: Array.isArray(raw.hosts) ? list(raw.hosts) : commaList(raw.host),
    appPort: num(raw.app_port) ?? 80,
    ssl: ssl === true || sslHash !== undefined,
    sslCertificate: certificatePem && privateKeyPem ? { certificatePem, privateKeyPem } : undefined,
    customSslCertificate: !!(certificatePem && privateKeyPem),
    sslRedirect: bool(raw.ssl_redirect),
    forwardHeaders: bool(raw.forward_headers),
    responseTimeout: num(raw.response_timeout),
    pathPrefixes: Array.isArray(raw.path_prefixes) ? list(raw.path_prefixes) : commaList(raw.path_prefix),
    stripPathPrefix: bool(raw.strip_path_prefix),
    healthcheck: {
      interval: num(healthcheck.interval),
      timeout: num(healthcheck.timeout),
      path: healthcheck.path === undefined ? undefined : toText(healthcheck.path),
      port: num(healthcheck.port),
    },
    clientIpHeader: raw.client_ip_header === undefined ? undefined : toText(raw.client_ip_header),
    canonicalHost: raw.canonical_host === undefined ? undefined : toText(raw.canonical_host),
    excludeMetricsPaths: list(raw.exclude_metrics_paths),
    tlsOnDemandUrl: raw.tls_on_demand_url === undefined ? undefined : toText(raw.tls_on_demand_url),
    basicAuth:
      isHash(raw.basic_auth) && raw.basic_auth.username !== undefined && raw.basic_auth.password !== undefined ? { username: toText(raw.basic_auth.username), password: toText(raw.basic_auth.password) } : undefined,
    buffering: {
      requests: buffering.requests !== false,
      responses: buffering.responses !== false,
      memory: num(buffering.memory),
      maxRequestBody: num(buffering.max_request_body),
      maxResponseBody: num(buffering.max_response_body),
    },
    logging: {
      requestHeaders: Array.isArray(logging.request_headers) ? list(logging.request_headers) : [...DEFAULT_LOG_REQUEST_HEADERS],
      responseHeaders: list(logging.response_headers),
    },
    run,
    raw,
  };
}

/** Deep equality of plain data (run configs are compared by value). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (isHash(a) && isHash(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameData(a[k], b[k]));
  }
  return false;
}
