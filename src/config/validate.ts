/**
 * Validation: the schema first (every problem at once, with file:line:col), then Kamal's semantic
 * checks (§2.16 order) on the derived model, again collecting every problem.
 */
import { deliveryProblems, registryRequired } from "./builder-validate.ts";
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { closest } from "../cli/suggest.ts";
import type { Position, Problem } from "./errors.ts";
import type { SextantConfig } from "./model.ts";
import { sameData } from "./proxy-model.ts";
import { HINT_SEPARATOR, isHash, TYPE_MARK, UNKNOWN_KEY } from "./schema/common.ts";
import { rootSchema } from "./schema/root.ts";
import type { Path, PositionIndex } from "./yaml.ts";

/** The Kamal version whose behaviour sextant follows (for minimum_version). */
export const KAMAL_COMPAT_VERSION = "2.12.0";

/** Built-in commands an alias may not shadow. */
export const BUILT_IN_COMMANDS = [
  "accessory", "app", "audit", "build", "config", "deploy", "details", "docs", "help", "init", "lock", "proxy", "prune",
  "redeploy", "registry", "remove", "rollback", "secrets", "server", "setup", "upgrade", "version",
];

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (the value is empty)";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "a hash";
  return String(value);
}

export function schemaProblems(raw: unknown, positions: PositionIndex): Problem[] {
  const result = v.safeParse(rootSchema(), raw, { abortEarly: false });
  if (result.success) return [];
  const problems: Problem[] = [];
  for (const issue of result.issues) {
    const path: Path = (issue.path ?? []).map((p) => p.key as string | number);
    const [message, extra] = issue.message.split(HINT_SEPARATOR) as [string, string | undefined];
    if (message === UNKNOWN_KEY && extra) {
      const { key, known } = JSON.parse(extra) as { key: string; known: string[] };
      const suggestion = suggestKey(key, known);
      const at = positions.get(path)?.key ?? positions.nearest(path);
      const isExtension = key.startsWith("x-") && path.length > 1;
      problems.push({
        path: path.join("/"),
        message: UNKNOWN_KEY,
        hint: isExtension
          ? "`x-` extension keys are only allowed at the top level of the file"
          : !suggestion && path.length === 1 && MISPLACED[key]
            ? `\`${key}\` is ${MISPLACED[key]}`
            : known.includes("clear") && known.includes("secret") && !suggestion
            ? `move ${key} under \`clear:\` (plain variables can't be mixed with clear/secret)`
            : suggestion
            ? `did you mean \`${suggestion}\`?`
            : `valid keys here: ${known.join(", ")}`,
        at,
      });
      continue;
    }
    const typed = message.startsWith(TYPE_MARK);
    problems.push({
      path: path.join("/"),
      message: typed ? `${message.slice(1)}, got ${describeValue(issue.input)}` : message,
      hint: extra,
      at: positions.nearest(path),
    });
  }
  return dedupe(problems).sort(byPosition);
}

function byPosition(a: Problem, b: Problem): number {
  if (!a.at || !b.at) return 0;
  return a.at.file === b.at.file ? a.at.line - b.at.line || a.at.col - b.at.col : 0;
}

/** A likely intended key: a close spelling, or the same letters in another order (`prot` -> `port`). */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const near = closest(key, known);
  if (near) return near;
  const sorted = (s: string) => [...s.toLowerCase()].sort().join("");
  return key.length >= 3 ? known.find((k) => sorted(k) === sorted(key)) : undefined;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where keys commonly written at the top level by mistake belong. */
const MISPLACED: Record<string, string> = {
  host: "a proxy setting: put it under `proxy:`",
  hosts: "a role or proxy setting: put it under `servers:` (or `proxy:`)",
  app_port: "a proxy setting: put it under `proxy:`",
  ssl: "a proxy setting: put it under `proxy:`",
  healthcheck: "a proxy setting: put it under `proxy:`",
  arch: "a builder setting: put it under `builder:`",
  dockerfile: "a builder setting: put it under `builder:`",
  remote: "a builder setting: put it under `builder:`",
  args: "a builder setting: put it under `builder:`",
  user: "an ssh setting: put it under `ssh:`",
  port: "an ssh setting (`ssh:`) or an accessory setting",
  username: "a registry setting: put it under `registry:`",
  password: "a registry setting: put it under `registry:`",
  server: "a registry setting: put it under `registry:`",
  clear: "an env setting: put it under `env:`",
  secret: "an env setting: put it under `env:`",
  tags: "an env setting: put it under `env:`",
  cmd: "a role setting: put it under `servers: <role>:`",
  options: "a role or accessory setting: put it under `servers: <role>:`",
  limit: "a boot setting: put it under `boot:`",
  driver: "a builder or logging setting",
  accessory: "misspelled: the section is `accessories:`",
  alias: "misspelled: the section is `aliases:`",
  destination: "not a setting: pass -d NAME and put its settings in config/deploy.NAME.yml",
};

/** Compare dotted versions like RubyGems (numeric segments). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const LEVELS = ["quiet", "verbose"];
const RESERVED_LABELS = ["service", "role", "destination"];
const HOST_KEYS = ["host", "hosts", "role", "roles", "tag", "tags"];

/** Kamal's semantic checks, in Kamal's order, all reported. */
export function semanticProblems(config: SextantConfig, positions: PositionIndex): Problem[] {
  const problems: Problem[] = [];
  const raw = config.raw;
  const add = (path: Path, message: string, hint?: string) =>
    problems.push({ path: path.join("/"), message, hint, at: positions.nearest(path) ?? fileStart(config) });

  // Destination.
  if (config.requireDestination && !config.destination) {
    add(["require_destination"], "You must specify a destination", "pass -d NAME (e.g. -d staging); this config sets require_destination: true");
  }

  // Required keys.
  if (raw.service === undefined || toBlank(raw.service)) add(["service"], "Missing required configuration for service", "e.g. service: my-app");
  if ((raw.image === undefined || toBlank(raw.image)) && !config.registry.local) {
    add(["image"], "Missing required configuration for image", "e.g. image: my-user/my-app");
  }
  if (raw.registry === undefined && registryRequired(config.builder)) add(["registry"], "Missing required configuration for registry", "e.g. registry: { username: my-user, password: [ KAMAL_REGISTRY_PASSWORD ] }");
  else if (!config.registry.local) registryCredentialProblems(raw.registry, ["registry"], add);
  if (raw.servers === undefined || raw.servers === null) {
    if (!isHash(raw.accessories) || Object.keys(raw.accessories).length === 0) {
      add(["servers"], "No servers or accessories specified", "e.g. servers: [ 192.168.0.1 ]");
    }
  } else {
    const primary = config.primaryRole;
    if (!primary) {
      add(raw.primary_role === undefined ? ["servers"] : ["primary_role"], `The primary_role ${config.primaryRoleName} isn't defined`, `roles: ${config.roles.map((r) => r.name).join(", ") || "none"}; set primary_role to one of them`);
    } else if (primary.hosts.length === 0) {
      add(["servers", ...(Array.isArray(raw.servers) ? [] : [primary.name])], `No servers specified for the ${primary.name} primary_role`);
    }
    if (!config.allowEmptyRoles) {
      for (const role of config.roles) {
        if (role.hosts.length === 0 && !(primary && role.name === primary.name)) {
          add(["servers", role.name], `No servers specified for the ${role.name} role. You can ignore this with allow_empty_roles: true`);
        }
      }
    }
  }

  // Builder (Kamal's builder validator).
  const builder = isHash(raw.builder) ? raw.builder : undefined;
  const arches = config.builder.arches;
  if (arches.length === 0 || arches.every((a) => a.trim() === "")) {
    add(["builder"], "Builder arch not set", "e.g. builder: { arch: amd64 } (or arch: [ amd64, arm64 ])");
  } else {
    arches.forEach((arch, i) => {
      if (arch !== "amd64" && arch !== "arm64") add(["builder", "arch", ...(Array.isArray(builder?.arch) ? [i] : [])], `unsupported arch ${JSON.stringify(arch)}`, "allowed values are amd64 and arm64");
    });
  }
  if (builder) {
    if (builder.local === false && builder.remote === undefined) add(["builder", "local"], "Cannot disable local builds, no remote is set", "set builder.remote, or remove local: false");
    if (isHash(builder.cache) && !["gha", "registry"].includes(String(builder.cache.type))) {
      add(["builder", "cache", "type"], `Invalid cache type: ${builder.cache.type ?? ""}`, "the type must be gha or registry");
    }
    if (isHash(builder.pack) && arches.length > 1) add(["builder", "pack"], "buildpacks only support building for one arch");
    deliveryProblems(builder, config.builder, config.registry, add);
  }

  // Roles.
  if (isHash(raw.servers)) {
    for (const [name, role] of Object.entries(raw.servers)) {
      if (!isHash(role)) continue;
      if (isHash(role.labels)) reservedLabels(role.labels, ["servers", name, "labels"], add);
      if (typeof role.replicas === "number" && (!Number.isInteger(role.replicas) || role.replicas < 1 || role.replicas > 32)) {
        add(["servers", name, "replicas"], `replicas must be a whole number from 1 to 32 (got ${role.replicas})`, "e.g. replicas: 3");
      }
      // Published ports would clash between the replicas of one host.
      if (typeof role.replicas === "number" && role.replicas > 1 && isHash(role.options) && ("publish" in role.options || "p" in role.options)) {
        add(["servers", name, "replicas"], "replicas cannot publish ports: they would clash on the host", "let the proxy reach the replicas, or use one replica");
      }
    }
  }

  // Accessories.
  if (isHash(raw.accessories)) {
    for (const [name, acc] of Object.entries(raw.accessories)) {
      if (!isHash(acc)) continue;
      const path = ["accessories", name];
      if (acc.image === undefined || toBlank(acc.image)) add(path, "image is required", "e.g. image: mysql:8.0 (Kamal would only fail when booting it)");
      const given = HOST_KEYS.filter((k) => k in acc);
      if (given.length !== 1) {
        add(path, "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`", given.length > 1 ? `found ${given.join(", ")}; keep one` : "e.g. host: 192.168.0.5");
      }
      const roleNames = config.roles.map((r) => r.name);
      if (Array.isArray(acc.roles)) {
        const missing = acc.roles.map(String).filter((r) => !roleNames.includes(r));
        if (missing.length > 0) add([...path, "roles"], `unknown roles ${missing.join(", ")}`, `roles: ${roleNames.join(", ")}`);
      } else if (acc.role !== undefined && !roleNames.includes(String(acc.role))) {
        add([...path, "role"], `unknown role ${acc.role}`, `roles: ${roleNames.join(", ")}`);
      }
      if (isHash(acc.labels)) reservedLabels(acc.labels, [...path, "labels"], add);
      if (isHash(acc.registry) && !config.accessory(name)?.registry?.local) registryCredentialProblems(acc.registry, [...path, "registry"], add);
    }
  }

  // Aliases.
  for (const name of Object.keys(config.aliases)) {
    if (!/^[a-z0-9_-]+$/.test(name)) add(["aliases", name], "Invalid alias name, can only contain lowercase letters, numbers, dashes and underscores");
    else if (BUILT_IN_COMMANDS.includes(name)) add(["aliases", name], `Alias '${name}' conflicts with a built-in command.`, "pick another name");
  }

  // Proxy sections: root, each proxy role (merged), each accessory proxy.
  if (isHash(raw.proxy)) proxyProblems(raw.proxy, ["proxy"], add);
  for (const role of config.roles) {
    const roleRaw = isHash(raw.servers) ? raw.servers[role.name] : undefined;
    if (role.proxy && isHash(roleRaw) && isHash(roleRaw.proxy)) proxyProblems(role.proxy.raw, ["servers", role.name, "proxy"], add, { skipRun: true });
  }
  for (const acc of config.accessories) if (acc.proxy) proxyProblems(acc.proxy.raw, ["accessories", acc.name, "proxy"], add);

  // Output.
  if (config.output.otel && !config.output.otel.endpoint) add(["output", "otel"], "OTel endpoint is required", "e.g. endpoint: http://otel-gateway:4318");
  if (config.output.file && !config.output.file.path) add(["output", "file"], "file path is required", "e.g. path: log/kamal");

  // SSH port (stricter than Kamal: a port is a number).
  if (isHash(raw.ssh) && raw.ssh.port !== undefined) {
    const port = Number(raw.ssh.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) add(["ssh", "port"], `should be a port number, got ${describeValue(raw.ssh.port)}`, "e.g. port: 2222");
  }

  // Minimum version, retain_containers, service name.
  if (config.minimumVersion && compareVersions(config.minimumVersion, KAMAL_COMPAT_VERSION) > 0) {
    add(["minimum_version"], `Current version is ${KAMAL_COMPAT_VERSION}, minimum required is ${config.minimumVersion}`, `sextant implements Kamal ${KAMAL_COMPAT_VERSION}`);
  }
  if (config.retainContainers < 1) add(["retain_containers"], "Must retain at least 1 container");
  if (raw.service !== undefined && !toBlank(raw.service) && !/^[a-z0-9_-]+$/i.test(config.service)) {
    add(["service"], "Service name can only include alphanumeric characters, hyphens, and underscores", "e.g. service: my-app");
  }

  // Old Traefik hooks.
  const hooks = ["pre-traefik-reboot", "post-traefik-reboot"].filter((h) => existsSync(resolve(config.cwd, join(config.hooksPath, h))));
  if (hooks.length > 0) add(["hooks_path"], `Found ${hooks.join(", ")}, these should be renamed to (pre|post)-proxy-reboot`);

  // Let's Encrypt needs one host per role; SSL hosts are unique across roles.
  for (const role of config.roles) {
    if (role.runningProxy && role.proxy?.ssl && role.hosts.length > 1 && !role.proxy.customSslCertificate) {
      add(
        ["servers", role.name],
        `SSL is only supported on a single server unless you provide custom certificates, found ${role.hosts.length} servers for role ${role.name}`,
        "use one host for this role, or set proxy.ssl: { certificate_pem: ..., private_key_pem: ... }",
      );
    }
  }
  const sslHosts = config.roles.filter((r) => r.ssl).flatMap((r) => r.proxy?.hosts ?? []);
  const duplicates = [...new Set(sslHosts.filter((h, i) => sslHosts.indexOf(h) !== i))];
  if (duplicates.length > 0) add(["proxy"], `Different roles can't share the same host for SSL: ${duplicates.join(", ")}`);

  // Local registry with a remote builder needs an SSH remote (for the reverse tunnel).
  if (config.registry.local && config.builder.remote !== undefined && !config.builder.remote.startsWith("ssh://")) {
    add(["builder", "remote"], "Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)");
  }

  // Every proxy run config on one host must be identical.
  for (const host of config.allHosts) {
    const runs = [...config.rolesOnHost(host).map((r) => r.proxy), ...config.accessoriesOnHost(host).map((a) => a.proxy)]
      .map((p) => p?.run?.raw)
      .filter((r): r is Record<string, unknown> => r !== undefined);
    if (runs.some((r) => !sameData(r, runs[0]))) {
      add(["proxy", "run"], `Conflicting proxy run configurations for host ${host}`, "the roles and accessories on one host share one kamal-proxy container; give them the same proxy run settings");
    }
  }

  // hooks_output levels.
  const ho = raw.hooks_output;
  if (ho !== undefined) {
    if (isHash(ho)) {
      for (const [hook, level] of Object.entries(ho)) {
        if (!LEVELS.includes(String(level))) add(["hooks_output", hook], `Invalid hooks_output '${level}' for hook '${hook}', must be one of: quiet, verbose`);
      }
    } else if (!LEVELS.includes(String(ho))) add(["hooks_output"], `Invalid hooks_output '${ho}', must be one of: quiet, verbose`);
  }

  return dedupe(problems);
}

function fileStart(config: SextantConfig): Position {
  return { file: config.files[0] ?? config.configFile, line: 1, col: 1 };
}

function toBlank(value: unknown): boolean {
  return value === null || (typeof value === "string" && value.trim() === "");
}

function reservedLabels(labels: Record<string, unknown>, path: Path, add: (path: Path, message: string, hint?: string) => void): void {
  for (const key of Object.keys(labels)) {
    if (RESERVED_LABELS.includes(key)) add([...path, key], "invalid label. destination, role, and service are reserved labels", "sextant sets these labels itself");
  }
}

function registryCredentialProblems(registry: unknown, path: Path, add: (path: Path, message: string, hint?: string) => void): void {
  if (!isHash(registry)) return;
  for (const key of ["username", "password"]) {
    const value = registry[key];
    if (value === undefined || toBlank(value)) {
      add([...path, key], "is required", key === "password" ? "e.g. password: [ KAMAL_REGISTRY_PASSWORD ] (a secret from .kamal/secrets)" : "e.g. username: my-user");
    }
  }
}

function proxyProblems(proxy: Record<string, unknown>, path: Path, add: (path: Path, message: string, hint?: string) => void, options: { skipRun?: boolean } = {}): void {
  if (proxy.host !== undefined && proxy.hosts !== undefined) add(path, "Specify one of 'host' or 'hosts', not both");
  const hasHost = (proxy.host !== undefined && String(proxy.host).trim() !== "") || (Array.isArray(proxy.hosts) && proxy.hosts.length > 0);
  const onDemand = proxy.tls_on_demand_url !== undefined;
  // As Kamal: any TLS (automatic or a custom certificate) needs the host names it is for — except
  // on-demand TLS, where the proxy asks tls_on_demand_url which names may have a certificate.
  if ((proxy.ssl === true || isHash(proxy.ssl)) && !hasHost && !onDemand) add([...path, "ssl"], "Must set a host to enable automatic SSL", "e.g. host: app.example.com");
  if (onDemand) {
    const key = [...path, "tls_on_demand_url"];
    if (proxy.ssl !== true) add(key, "On-demand TLS needs ssl: true (certificates from Let's Encrypt)", "e.g. ssl: true");
    if (hasHost) add(key, "Cannot set host or hosts with tls_on_demand_url: the proxy serves any host the URL allows", "remove host/hosts, or remove tls_on_demand_url");
    if (proxy.canonical_host !== undefined) add(key, "Cannot set canonical_host with tls_on_demand_url");
    const url = String(proxy.tls_on_demand_url);
    if (!/^\/(?!\/)/.test(url) && !/^https?:\/\/[^/]/.test(url)) add(key, `tls_on_demand_url must be an app path or an http(s) URL (got ${url})`, "e.g. tls_on_demand_url: /tls/allowed");
  }
  if (proxy.canonical_host !== undefined && hasHost) {
    const hosts = Array.isArray(proxy.hosts) ? proxy.hosts.map(String) : String(proxy.host).split(",").map((h) => h.trim());
    if (!hosts.includes(String(proxy.canonical_host))) add([...path, "canonical_host"], `canonical_host ${proxy.canonical_host} must be one of the hosts (${hosts.join(", ")})`);
  }
  if (isHash(proxy.ssl)) {
    const { certificate_pem: cert, private_key_pem: key } = proxy.ssl;
    if (cert !== undefined && key === undefined) add([...path, "ssl"], "Missing private_key_pem setting (required when certificate_pem is present)");
    if (key !== undefined && cert === undefined) add([...path, "ssl"], "Missing certificate_pem setting (required when private_key_pem is present)");
  }
  if (proxy.path_prefix !== undefined && proxy.path_prefixes !== undefined) add(path, "Specify one of 'path_prefix' or 'path_prefixes', not both");
  if (isHash(proxy.basic_auth) && path[0] === "accessories") {
    add([...path, "basic_auth"], "basic_auth is supported for the app's roles, not for accessories", "put the accessory behind an app role, or protect it in the accessory itself");
  }
  if (isHash(proxy.basic_auth)) {
    if (proxy.basic_auth.username === undefined) add([...path, "basic_auth"], "Missing username (required with basic_auth)", "e.g. basic_auth: { username: admin, password: BASIC_AUTH_PASSWORD }");
    if (proxy.basic_auth.password === undefined) add([...path, "basic_auth"], "Missing password (required with basic_auth)", "the name of a secret, e.g. password: BASIC_AUTH_PASSWORD");
  }
  const run = proxy.run;
  if (!options.skipRun && isHash(run)) {
    if (run.publish === false && (run.http_port !== undefined || run.https_port !== undefined || run.bind_ips !== undefined)) {
      add([...path, "run"], "Cannot set http_port, https_port or bind_ips when publish is false");
    }
    if (run.publish === false && run.http3 === true) add([...path, "run", "http3"], "Cannot enable http3 when publish is false (HTTP/3 needs the HTTPS port published over UDP)");
    if (Array.isArray(run.bind_ips)) {
      run.bind_ips.forEach((ip, i) => {
        const bare = String(ip).replace(/^\[(.*)\]$/, "$1");
        if (isIP(bare) === 0) add([...path, "run", "bind_ips", i], `Invalid publish IP address: ${ip}`, "use an IPv4 or IPv6 address, e.g. 0.0.0.0");
      });
    }
  }
}
