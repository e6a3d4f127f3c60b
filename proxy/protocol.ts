/**
 * Control-socket messages between the proxy's command-line client and the running server.
 * The wire format is one JSON request line and one JSON reply line over the Unix socket; kamal-proxy
 * uses Go's gob RPC, which nobody outside the proxy speaks, so only the CLI surface must match.
 * Durations here are milliseconds. This is the only proxy module that src/ may import.
 */

export interface HealthCheckConfig {
  path: string;
  port: number;
  interval: number;
  timeout: number;
  host: string;
}

/** Option names follow kamal-proxy's state-file keys so the state file is a plain mapping of these. */
export interface ServiceOptions {
  hosts: string[];
  path_prefixes: string[];
  tls_enabled: boolean;
  tls_certificate_path: string;
  tls_private_key_path: string;
  tls_on_demand_url: string;
  tls_redirect: boolean;
  canonical_host: string;
  acme_directory: string;
  acme_cache_path: string;
  error_page_path: string;
  strip_prefix: boolean;
  writer_affinity_timeout: number;
  read_targets_accept_websockets: boolean;
  exclude_metrics_paths: string[] | null;
  client_ip_header: string;
  /** HTTP Basic authentication: the username and the password's SHA-256 (never the password). */
  basic_auth?: { username: string; password_sha256: string } | null;
}

export interface TargetOptions {
  health_check_config: HealthCheckConfig;
  response_timeout: number;
  buffer_requests: boolean;
  buffer_responses: boolean;
  max_memory_buffer_size: number;
  max_request_body_size: number;
  max_response_body_size: number;
  log_request_headers: string[] | null;
  log_response_headers: string[] | null;
  forward_headers: boolean;
  scope_cookie_paths: boolean;
}

interface DeploymentOptions {
  deploy_timeout: number;
  drain_timeout: number;
  force: boolean;
}

export interface DeployArgs {
  service: string;
  targets: string[];
  readers: string[];
  deployment: DeploymentOptions;
  service_options: ServiceOptions;
  target_options: TargetOptions;
}

export interface PauseArgs {
  service: string;
  drain_timeout: number;
  pause_timeout: number;
}

export interface StopArgs {
  service: string;
  drain_timeout: number;
  message: string;
}

export interface ServiceArgs {
  service: string;
}

export interface RolloutDeployArgs {
  service: string;
  targets: string[];
  readers: string[];
  deployment: DeploymentOptions;
}

export interface RolloutSetArgs {
  service: string;
  percentage: number;
  allowlist: string[];
}

interface ListEntry {
  host: string;
  path: string;
  tls: boolean;
  target: string;
  state: string;
  /** Unjoined forms, for `list --json`. */
  hosts?: string[];
  path_prefixes?: string[];
  targets?: string[];
}

export type ListResult = Record<string, ListEntry>;

export type ControlRequest =
  | { method: "deploy"; args: DeployArgs }
  | { method: "remove"; args: ServiceArgs }
  | { method: "list"; args: Record<string, never> }
  | { method: "pause"; args: PauseArgs }
  | { method: "stop"; args: StopArgs }
  | { method: "resume"; args: ServiceArgs }
  | { method: "rollout-deploy"; args: RolloutDeployArgs }
  | { method: "rollout-set"; args: RolloutSetArgs }
  | { method: "rollout-stop"; args: ServiceArgs }
  | { method: "rollout-enable"; args: ServiceArgs & { enabled: boolean } };

export type ControlReply = { ok: true; result?: unknown } | { ok: false; error: string };

export const DEFAULT_HEALTH_CHECK: HealthCheckConfig = { path: "/up", port: 0, interval: 1000, timeout: 5000, host: "" };
