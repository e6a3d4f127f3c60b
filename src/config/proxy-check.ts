/**
 * Checks of the proxy sections (root, each proxy role merged over it, each accessory's): hosts and
 * TLS, on-demand TLS, canonical host, basic auth, the `run` settings; then across roles, TLS hosts
 * and one proxy run configuration per host.
 */
import { isIP } from "node:net";
import type { Add } from "./check.ts";
import type { SextantConfig } from "./model.ts";
import { sameData } from "./proxy-model.ts";
import { isHash } from "./schema/common.ts";
import type { Path } from "./yaml.ts";

/** Each proxy section on its own (a role's `run` is checked in the root section it inherits). */
export function checkProxies(config: SextantConfig, add: Add): void {
  const raw = config.raw;
  if (isHash(raw.proxy)) proxyProblems(raw.proxy, ["proxy"], add);
  for (const role of config.roles) {
    const roleRaw = isHash(raw.servers) ? raw.servers[role.name] : undefined;
    if (role.proxy && isHash(roleRaw) && isHash(roleRaw.proxy)) proxyProblems(role.proxy.raw, ["servers", role.name, "proxy"], add, { skipRun: true });
  }
  for (const acc of config.accessories) if (acc.proxy) proxyProblems(acc.proxy.raw, ["accessories", acc.name, "proxy"], add);
}

/** Let's Encrypt needs one host per role (unless the certificate is given); TLS hosts are unique across roles. */
export function checkRoleTls(config: SextantConfig, add: Add): void {
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
}

/** The roles and accessories on one host share one proxy container, so one `proxy.run` for all of them. */
export function checkProxyRuns(config: SextantConfig, add: Add): void {
  for (const host of config.allHosts) {
    const runs = [...config.rolesOnHost(host).map((r) => r.proxy), ...config.accessoriesOnHost(host).map((a) => a.proxy)].map((p) => p?.run?.raw).filter((r): r is Record<string, unknown> => r !== undefined);
    if (runs.some((r) => !sameData(r, runs[0]))) {
      add(["proxy", "run"], `Conflicting proxy run configurations for host ${host}`, "the roles and accessories on one host share one kamal-proxy container; give them the same proxy run settings");
    }
  }
}

function proxyProblems(proxy: Record<string, unknown>, path: Path, add: Add, options: { skipRun?: boolean } = {}): void {
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
    const hosts = Array.isArray(proxy.hosts)
      ? proxy.hosts.map(String)
      : String(proxy.host)
          .split(",")
          .map((h) => h.trim());
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
