/**
 * The kamal-proxy container on each server and the `kamal-proxy` commands Kamal sends into it
 * (Kamal's commands/proxy.rb and commands/app/proxy.rb). Two ways to start the container exist and both are kept: without a
 * `proxy.run` config the options are read on the server from the legacy boot files written by
 * `proxy boot_config set`; with one, the `docker run` line is built here.
 */
import type { ProxyRunSettings, ProxySettings } from "../config/proxy-model.ts";
import { NETWORK } from "./names.ts";
import { type Argv, any, argumentize, docker, makeDirectory, optionize, pipe, removeDirectory, render, silenced, substitute, type Token, xargs } from "./shell.ts";

export const PROXY_CONTAINER = "kamal-proxy";
export const PROXY_IMAGE_DEFAULT = "basecamp/kamal-proxy";
/** The oldest kamal-proxy Kamal 2.12 works with, and the default image version. */
export const PROXY_MINIMUM_VERSION = "v0.9.2";
export const PROXY_HTTP_PORT = 80;
export const PROXY_HTTPS_PORT = 443;
export const PROXY_LOG_MAX_SIZE = "10m";
const IMAGE_TITLE_FILTER = "label=org.opencontainers.image.title=kamal-proxy";

/** `.kamal/proxy` and the legacy boot-config files inside it. */
export function proxyPaths(runDirectory: string) {
  const dir = `${runDirectory}/proxy`;
  return {
    dir,
    optionsFile: `${dir}/options`,
    imageFile: `${dir}/image`,
    imageVersionFile: `${dir}/image_version`,
    runCommandFile: `${dir}/run_command`,
    appsConfigDir: `${dir}/apps-config`,
    appsContainerDir: "/home/kamal-proxy/.apps-config",
  } as const;
}

// ---- the container ---------------------------------------------------------------------------

/** `docker network create kamal` (callers ignore "already exists"). */
export function createNetwork(): Argv {
  return docker("network", "create", NETWORK);
}

/** The arguments every kamal-proxy container gets, in Kamal's order. */
function baseRunArgs(runDirectory: string): Token[] {
  const paths = proxyPaths(runDirectory);
  return [
    "--name",
    PROXY_CONTAINER,
    "--network",
    NETWORK,
    "--detach",
    "--restart",
    "unless-stopped",
    "--volume",
    "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
    "--volume",
    `$PWD/${paths.appsConfigDir}:${paths.appsContainerDir}`,
  ];
}

/** `[::1]` for IPv6 bind addresses, as Docker's `--publish` wants them. */
function formatBindIp(ip: string): string {
  return ip.includes(":") && !/^\[.*\]$/.test(ip) ? `[${ip}]` : ip;
}

/** `--publish [IP:]HTTP:80 --publish [IP:]HTTPS:443`, once per bind IP. */
export function publishArgs(httpPort: number, httpsPort: number, bindIps?: readonly string[], http3 = false): Token[] {
  return (bindIps && bindIps.length > 0 ? bindIps : [undefined]).flatMap((ip) => {
    const prefix = ip === undefined ? "" : `${formatBindIp(ip)}:`;
    // HTTP/3 is QUIC: the HTTPS port over UDP as well.
    const udp = http3 ? [`${prefix}${httpsPort}:${PROXY_HTTPS_PORT}/udp`] : [];
    return argumentize("--publish", [`${prefix}${httpPort}:${PROXY_HTTP_PORT}`, `${prefix}${httpsPort}:${PROXY_HTTPS_PORT}`, ...udp]);
  });
}

/** `--log-opt max-size=SIZE` (unquoted, as Kamal writes it), nothing when blank. */
function logArgs(maxSize: string | undefined): Token[] {
  return maxSize && maxSize.trim() !== "" ? argumentize("--log-opt", [`max-size=${maxSize}`]) : [];
}

/** `kamal-proxy run [--debug] [--metrics-port "N"] [--http3]` */
function proxyRunCommand(debug: boolean, metricsPort: number | undefined, http3 = false): string[] {
  return ["kamal-proxy", "run", ...optionize({ debug: debug || undefined, "metrics-port": metricsPort, http3: http3 || undefined })];
}

/** Variant B: a `proxy.run` config applies to the host; the whole `docker run` line is explicit. */
export function runWithConfig(runDirectory: string, run: ProxyRunSettings): Argv {
  return docker(
    "run",
    ...baseRunArgs(runDirectory),
    ...(run.publish ? publishArgs(run.httpPort, run.httpsPort, run.bindIps, run.http3) : []),
    ...logArgs(run.logMaxSize),
    run.metricsPort === undefined ? undefined : `--expose=${run.metricsPort}`,
    ...optionize(run.options),
    run.image,
    ...proxyRunCommand(run.debug, run.metricsPort, run.http3),
  );
}

/** `$(cat FILE 2> /dev/null || echo "DEFAULT")`: a boot file read on the server, or its default. */
function fileOrDefault(file: string, fallback: string): Token {
  return substitute(any(["cat", file, "2>", "/dev/null"], ["echo", `"${fallback}"`]));
}

/** The image used when no boot file names one (Kamal: basecamp/kamal-proxy:v0.9.2; sextant: its own). */
export interface ProxyImageDefaults {
  image: string;
  version: string;
}

const KAMAL_PROXY_DEFAULTS: ProxyImageDefaults = { image: PROXY_IMAGE_DEFAULT, version: PROXY_MINIMUM_VERSION };

/**
 * `echo $(cat options || echo DEFAULT) $(cat image || ...):$(cat image_version || ...) $(cat run_command || echo "")`:
 * the proxy's `docker run` arguments as the legacy boot files give them (`proxy boot_config get`).
 */
export function bootConfig(runDirectory: string, defaults: ProxyImageDefaults = KAMAL_PROXY_DEFAULTS): Argv {
  const paths = proxyPaths(runDirectory);
  const defaultOptions = render([...publishArgs(PROXY_HTTP_PORT, PROXY_HTTPS_PORT), ...logArgs(PROXY_LOG_MAX_SIZE)]);
  const image = fileOrDefault(paths.imageFile, defaults.image);
  const version = fileOrDefault(paths.imageVersionFile, defaults.version);
  return ["echo", fileOrDefault(paths.optionsFile, defaultOptions), `${image}:${version}`, fileOrDefault(paths.runCommandFile, "")];
}

/** Variant A: no `proxy.run` config; options, image and command come from the legacy boot files. */
export function runFromBootFiles(runDirectory: string, defaults: ProxyImageDefaults = KAMAL_PROXY_DEFAULTS): Argv {
  return pipe(bootConfig(runDirectory, defaults), xargs(["docker", "run", ...baseRunArgs(runDirectory)]));
}

/** The run command for a host: variant B when a run config applies there, else variant A. */
export function run(runDirectory: string, runConfig?: ProxyRunSettings, defaults?: ProxyImageDefaults): Argv {
  return runConfig ? runWithConfig(runDirectory, runConfig) : runFromBootFiles(runDirectory, defaults);
}

/** `docker container start kamal-proxy || <run>`: reuse a stopped proxy, else create it. */
export function startOrRun(runDirectory: string, runConfig?: ProxyRunSettings, defaults?: ProxyImageDefaults): Argv {
  return any(start(), run(runDirectory, runConfig, defaults));
}

export function start(): Argv {
  return docker("container", "start", PROXY_CONTAINER);
}

export function stop(): Argv {
  return docker("container", "stop", PROXY_CONTAINER);
}

/** The running proxy's image tag, e.g. `v0.9.2` (checked against the minimum before boot). */
export function version(): Argv {
  return pipe(docker("inspect", PROXY_CONTAINER, "--format", "'{{.Config.Image}}'"), ["awk", "-F:", "'{print $NF}'"]);
}

/**
 * The image the proxy runs, or would run when booted from its boot files:
 * `docker container inspect kamal-proxy --format '{{.Config.Image}}' 2>/dev/null || echo "$(cat image || echo IMG):$(cat version || echo V)"`.
 */
export function imageOrBootFilesImage(runDirectory: string, defaults: ProxyImageDefaults): Argv {
  const paths = proxyPaths(runDirectory);
  const orDefault = (file: string, fallback: string) => `$(cat ${file} 2>/dev/null || echo ${fallback})`;
  return any(silenced(containerImage()), ["echo", `"${orDefault(paths.imageFile, defaults.image)}:${orDefault(paths.imageVersionFile, defaults.version)}"`]);
}

/** The user id the proxy runs as inside its container (sextant's image; kamal-proxy's too). */
const PROXY_CONTAINER_UID = 1000;

/** `chown 1000:1000 FILE... 2>/dev/null`: files the proxy reads (TLS keys, basic auth), 0600 on the server. */
export function giveToProxyUser(files: readonly string[]): Argv {
  return silenced(["chown", `${PROXY_CONTAINER_UID}:${PROXY_CONTAINER_UID}`, ...files]);
}

/** The proxy container's image (`REPO:TAG`); fails when there is no proxy container. */
export function containerImage(): Argv {
  return docker("container", "inspect", PROXY_CONTAINER, "--format", "'{{.Config.Image}}'");
}

export function info(): Argv {
  return docker("ps", "--filter", `'name=^${PROXY_CONTAINER}$'`);
}

export function removeContainer(): Argv {
  return docker("container", "prune", "--force", "--filter", IMAGE_TITLE_FILTER);
}

export function removeImage(): Argv {
  return docker("image", "prune", "--all", "--force", "--filter", IMAGE_TITLE_FILTER);
}

export function ensureProxyDirectory(runDirectory: string): Argv {
  return makeDirectory(proxyPaths(runDirectory).dir);
}

export function ensureAppsConfigDirectory(runDirectory: string): Argv {
  return makeDirectory(proxyPaths(runDirectory).appsConfigDir);
}

export function removeProxyDirectory(runDirectory: string): Argv {
  return removeDirectory(proxyPaths(runDirectory).dir);
}

export interface ProxyLogsOptions {
  since?: string;
  lines?: number | string;
  grep?: string;
  grepOptions?: string;
  timestamps?: boolean;
}

/** `docker logs kamal-proxy [--since X] [--tail N] [--timestamps] 2>&1 [| grep 'G']` */
export function logs(options: ProxyLogsOptions = {}): Argv {
  return pipe(
    docker(
      "logs",
      PROXY_CONTAINER,
      options.since === undefined ? undefined : ["--since", options.since],
      options.lines === undefined ? undefined : ["--tail", String(options.lines)],
      options.timestamps === false ? undefined : "--timestamps",
      "2>&1",
    ),
    options.grep === undefined ? undefined : ["grep", `'${options.grep}'`, ...(options.grepOptions === undefined ? [] : [options.grepOptions])],
  );
}

/** The remote part of `proxy logs -f` (wrapped in ssh by the caller): tail 10 and follow. */
export function followLogs(options: Pick<ProxyLogsOptions, "grep" | "timestamps"> = {}): Argv {
  return pipe(docker("logs", PROXY_CONTAINER, options.timestamps === false ? undefined : "--timestamps", "--tail", "10", "--follow", "2>&1"), options.grep === undefined ? undefined : ["grep", `"${options.grep}"`]);
}

// ---- commands sent to kamal-proxy --------------------------------------------------------------

/** `docker exec kamal-proxy kamal-proxy ...` */
export function kamalProxy(...args: Token[]): Argv {
  return docker("exec", PROXY_CONTAINER, "kamal-proxy", ...args);
}

function seconds(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${value}s`;
}

export interface DeployTarget {
  /** Container id (12 hex) or address of the new container, without the port; one per replica. */
  target: string | readonly string[];
  deployTimeout: number;
  drainTimeout: number;
  /** Container paths of a custom certificate (`.../tls/ROLE/cert.pem`, `key.pem`). */
  tlsCertificatePath?: string;
  tlsPrivateKeyPath?: string;
  /** Container path of this version's error pages. */
  errorPages?: string;
  /** Container path of a file holding `user:password` (read by kamal-proxy's client, then deleted). */
  basicAuthFile?: string;
}

/**
 * The `kamal-proxy deploy` flags in Kamal's fixed order: `--flag` for true, `--flag="value"`
 * otherwise, unset values omitted. Buffering flags and the default request headers are always sent.
 */
function deployArgs(proxy: ProxySettings, options: DeployTarget): string[] {
  return optionize(
    {
      target: typeof options.target === "string" ? `${options.target}:${proxy.appPort}` : options.target.map((t) => `${t}:${proxy.appPort}`),
      host: proxy.hosts,
      tls: proxy.ssl || undefined,
      "tls-certificate-path": options.tlsCertificatePath,
      "tls-private-key-path": options.tlsPrivateKeyPath,
      "deploy-timeout": seconds(options.deployTimeout),
      "drain-timeout": seconds(options.drainTimeout),
      "health-check-interval": seconds(proxy.healthcheck.interval),
      "health-check-timeout": seconds(proxy.healthcheck.timeout),
      "health-check-path": proxy.healthcheck.path,
      "target-timeout": seconds(proxy.responseTimeout),
      "buffer-requests": proxy.buffering.requests,
      "buffer-responses": proxy.buffering.responses,
      "buffer-memory": proxy.buffering.memory,
      "max-request-body": proxy.buffering.maxRequestBody,
      "max-response-body": proxy.buffering.maxResponseBody,
      "path-prefix": proxy.pathPrefixes,
      "strip-path-prefix": proxy.stripPathPrefix,
      "forward-headers": proxy.forwardHeaders,
      "tls-redirect": proxy.sslRedirect,
      "log-request-header": proxy.logging.requestHeaders,
      "log-response-header": proxy.logging.responseHeaders,
      "error-pages": options.errorPages,
      "health-check-port": proxy.healthcheck.port,
      "client-ip-header": proxy.clientIpHeader,
      "canonical-host": proxy.canonicalHost,
      "exclude-metrics-path": proxy.excludeMetricsPaths.length > 0 ? proxy.excludeMetricsPaths : undefined,
      "tls-on-demand-url": proxy.tlsOnDemandUrl,
      "basic-auth-file": options.basicAuthFile,
    },
    { separator: "=" },
  );
}

/** `kamal-proxy deploy SERVICE --target=... ...` for an app role (`SVC-ROLE[-DEST]`) or accessory. */
export function deploy(service: string, proxy: ProxySettings, options: DeployTarget): Argv {
  return kamalProxy("deploy", service, ...deployArgs(proxy, options));
}

/**
 * `kamal-proxy rollout deploy SERVICE --target=ID:PORT ...`: a second (canary) target group for an
 * existing service; it reuses the service's options, so only target and timeouts are sent.
 */
export function rolloutDeploy(service: string, target: string, options: { deployTimeout: number; drainTimeout: number }): Argv {
  return kamalProxy("rollout", "deploy", service, ...optionize({ target, "deploy-timeout": seconds(options.deployTimeout), "drain-timeout": seconds(options.drainTimeout) }, { separator: "=" }));
}

/** `kamal-proxy rollout set SERVICE --percent=N [--list=a,b]`: requests whose `kamal-rollout` cookie falls in the split go to the canary. */
export function rolloutSet(service: string, options: { percent: number; list?: readonly string[] }): Argv {
  return kamalProxy("rollout", "set", service, ...optionize({ percent: String(options.percent), list: options.list && options.list.length > 0 ? options.list.join(",") : undefined }, { separator: "=" }));
}

/** `kamal-proxy rollout stop SERVICE`: every request to the main version again. */
export function rolloutStop(service: string): Argv {
  return kamalProxy("rollout", "stop", service);
}

/** `kamal-proxy remove SERVICE` (app stop, accessory stop). */
export function remove(service: string): Argv {
  return kamalProxy("remove", service);
}

/** `kamal-proxy stop SERVICE --drain-timeout="Ns" [--message="..."]` (maintenance mode). */
export function maintenance(service: string, options: { drainTimeout?: number; message?: string }): Argv {
  return kamalProxy("stop", service, ...optionize({ "drain-timeout": seconds(options.drainTimeout), message: options.message }, { separator: "=" }));
}

/** `kamal-proxy resume SERVICE` (leave maintenance mode). */
export function live(service: string): Argv {
  return kamalProxy("resume", service);
}

/** Kamal 1 leftovers removed by `proxy upgrade`: stop Traefik, prune its container and image. */
export function cleanupTraefik(): Argv {
  const filter = "label=org.opencontainers.image.title=Traefik";
  return [...docker("container", "stop", "traefik"), ";", ...docker("container", "prune", "--force", "--filter", filter), "&&", ...docker("image", "prune", "--all", "--force", "--filter", filter)];
}

/**
 * True when a running proxy's tag is older than `minimum` (both like `v0.9.2`); such a proxy must
 * be rebooted before apps can deploy to it. Non-numeric tags (e.g. `latest`) are not "older".
 */
export function olderProxyVersion(version: string, minimum: string = PROXY_MINIMUM_VERSION): boolean {
  const parts = (v: string) =>
    v
      .trim()
      .replace(/^v/, "")
      .split(".")
      .map((p) => Number.parseInt(p, 10));
  const a = parts(version);
  const b = parts(minimum);
  if (a.some(Number.isNaN)) return false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
