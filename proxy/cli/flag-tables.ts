/** Flag tables for every proxy command, with kamal-proxy's names, defaults and usage texts. */
import { DEFAULT_CONN_TIMEOUTS } from "../conn-timeouts.ts";
import type { Env } from "../paths.ts";
import type { FlagSpec } from "./flags.ts";

/** `KAMAL_PROXY_<NAME>` wins over `<NAME>`; an unparsable value silently means the default. */
function envInt(env: Env, name: string, fallback: number): number {
  const raw = env[`KAMAL_PROXY_${name}`] ?? env[name];
  if (raw === undefined || !/^\s*[-+]?\d+\s*$/.test(raw)) return fallback;
  return Number(raw);
}

function envBool(env: Env, name: string): boolean {
  const raw = env[`KAMAL_PROXY_${name}`] ?? env[name];
  return raw !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(raw);
}

function envString(env: Env, name: string): string {
  return env[`KAMAL_PROXY_${name}`] ?? "";
}

export function runFlags(env: Env): FlagSpec[] {
  return [
    { name: "debug", type: "bool", default: envBool(env, "DEBUG"), usage: "Include debugging logs" },
    { name: "http-port", type: "int", default: envInt(env, "HTTP_PORT", 80), usage: "Port to serve HTTP traffic on" },
    { name: "https-port", type: "int", default: envInt(env, "HTTPS_PORT", 443), usage: "Port to serve HTTPS traffic on" },
    { name: "metrics-port", type: "int", default: envInt(env, "METRICS_PORT", 0), usage: "Publish metrics on the specified port (default zero to disable)" },
    { name: "http3", type: "bool", default: false, usage: "Enable HTTP/3" },
    // kamal-proxy's newer releases have these three timeouts (ReadHeaderTimeout, IdleTimeout,
    // RequestBodyTimeout) but no published flag names yet; these follow its field names.
    {
      name: "read-header-timeout",
      type: "duration",
      default: DEFAULT_CONN_TIMEOUTS.readHeader,
      usage: "Close a connection whose TLS handshake or request headers are not complete this long after they began (0 disables)",
    },
    { name: "idle-timeout", type: "duration", default: DEFAULT_CONN_TIMEOUTS.idle, usage: "Close a keep-alive connection that stays idle for this long (0 disables)" },
    { name: "request-body-timeout", type: "duration", default: DEFAULT_CONN_TIMEOUTS.requestBody, usage: "Answer 408 when a client stops sending its request body for this long (0 disables)" },
    { name: "tls-acme-directory", type: "string", default: envString(env, "TLS_ACME_DIRECTORY"), usage: "ACME directory URL for automatic certificates (default Let's Encrypt)" },
    { name: "tls-acme-ca", type: "string", default: envString(env, "TLS_ACME_CA"), usage: "PEM file of extra CA certificates to trust when talking to the ACME server" },
    { name: "tls-acme-eab-kid", type: "string", default: envString(env, "TLS_ACME_EAB_KID"), usage: "External account binding key id, for ACME CAs that require one" },
    { name: "tls-acme-eab-hmac-key", type: "string", default: envString(env, "TLS_ACME_EAB_HMAC_KEY"), usage: "External account binding HMAC key (base64url)" },
  ];
}

export function deployFlags(dataDir: string): FlagSpec[] {
  return [
    { name: "target", type: "list", default: [], usage: "Target host(s) to deploy", required: true },
    { name: "read-target", type: "list", default: [], usage: "Read-only target host(s) to deploy" },
    { name: "host", type: "list", default: [], usage: "Host(s) to serve this target on (empty for wildcard)" },
    { name: "path-prefix", type: "list", default: [], usage: "Deploy the service below the specified path(s)" },
    { name: "strip-path-prefix", type: "bool", default: true, usage: "With --path-prefix, strip prefix from request before forwarding" },
    { name: "tls", type: "bool", default: false, usage: "Configure TLS for this target (requires a non-empty host)" },
    { name: "tls-on-demand-url", type: "string", default: "", usage: "Will make an HTTP request to the given URL, asking whether a host is allowed to have a certificate issued." },
    { name: "tls-staging", type: "bool", default: false, usage: "Use Let's Encrypt staging environment for certificate provisioning" },
    { name: "tls-certificate-path", type: "string", default: "", usage: "Configure custom TLS certificate path (PEM format)" },
    { name: "tls-private-key-path", type: "string", default: "", usage: "Configure custom TLS private key path (PEM format)" },
    { name: "tls-acme-cache-path", type: "string", default: `${dataDir}/certs`, usage: "Location to store ACME certificates" },
    { name: "tls-acme-directory", type: "string", default: "", usage: "ACME directory URL (default: the server's, Let's Encrypt unless run says otherwise)" },
    { name: "tls-redirect", type: "bool", default: true, usage: "Redirect HTTP traffic to HTTPS when TLS is enabled" },
    { name: "canonical-host", type: "string", default: "", usage: "Redirect to canonical host (must be one of --host)" },
    { name: "deploy-timeout", type: "duration", default: 30_000, usage: "Maximum time to wait for the new target to become healthy" },
    { name: "drain-timeout", type: "duration", default: 30_000, usage: "Maximum time to allow existing connections to drain before removing old target" },
    { name: "force", type: "bool", default: false, usage: "Skip waiting for the target to become healthy" },
    { name: "health-check-interval", type: "duration", default: 1000, usage: "Time between health checks" },
    { name: "health-check-timeout", type: "duration", default: 5000, usage: "Time each health check must complete in" },
    { name: "health-check-path", type: "string", default: "/up", usage: "Path to check for health" },
    { name: "health-check-port", type: "int", default: 0, usage: "Port to check for health (default to target port)" },
    { name: "health-check-host", type: "string", default: "", usage: "Host header to send with health checks" },
    { name: "writer-affinity-timeout", type: "duration", default: 1000, usage: "Time after a write before read requests will be routed to readers" },
    { name: "read-target-websockets", type: "bool", default: false, usage: "Route WebSocket traffic to read targets" },
    { name: "target-timeout", type: "duration", default: 30_000, usage: "Maximum time to wait for the target server to respond when serving requests" },
    { name: "buffer-requests", type: "bool", default: false, usage: "Enable request buffering" },
    { name: "buffer-responses", type: "bool", default: false, usage: "Enable response buffering" },
    { name: "buffer-memory", type: "int", default: 1 << 20, usage: "Max size of memory buffer" },
    { name: "max-request-body", type: "int", default: 0, usage: "Max size of request body when buffering (default of 0 means unlimited)" },
    { name: "max-response-body", type: "int", default: 0, usage: "Max size of response body when buffering (default of 0 means unlimited)" },
    { name: "error-pages", type: "string", default: "", usage: "Path to custom error pages" },
    { name: "log-request-header", type: "list", default: [], usage: "Additional request header to log (may be specified multiple times)" },
    { name: "log-response-header", type: "list", default: [], usage: "Additional response header to log (may be specified multiple times)" },
    { name: "exclude-metrics-path", type: "list", default: [], usage: "Exclude requests to these paths from metrics" },
    { name: "forward-headers", type: "bool", default: false, usage: "Forward X-Forwarded headers to target (default false if TLS enabled; otherwise true)" },
    { name: "basic-auth", type: "string", default: "", usage: "Require HTTP Basic authentication with these credentials (username:password)" },
    { name: "basic-auth-file", type: "string", default: "", usage: "Require HTTP Basic authentication with the username:password read from this file" },
    { name: "client-ip-header", type: "string", default: "", usage: "Header to use as the client IP (replaces X-Forwarded-For)" },
    { name: "scope-cookie-paths", type: "bool", default: false, usage: "Scope cookie paths to the path prefix" },
  ];
}

export const listFlags: FlagSpec[] = [{ name: "json", type: "bool", default: false, usage: "Print the services as JSON" }];

const drainFlag: FlagSpec = { name: "drain-timeout", type: "duration", default: 30_000, usage: "Drain timeout" };

export const pauseFlags: FlagSpec[] = [drainFlag, { name: "max-pause", type: "duration", default: 30_000, usage: "Maximum pause time" }];
export const stopFlags: FlagSpec[] = [drainFlag, { name: "message", type: "string", default: "", usage: "Message to display" }];

export const rolloutDeployFlags: FlagSpec[] = [
  { name: "target", type: "list", default: [], usage: "Target host(s) to deploy", required: true },
  { name: "read-target", type: "list", default: [], usage: "Read-only target host(s) to deploy" },
  { name: "deploy-timeout", type: "duration", default: 30_000, usage: "Maximum time to wait for the new target to become healthy" },
  drainFlag,
];

export const rolloutSetFlags: FlagSpec[] = [
  { name: "percent", type: "int", default: 0, usage: "Percentage of traffic to send to the rollout target" },
  { name: "list", type: "list", default: [], usage: "Comma-separated list of values to send to the rollout target" },
];
