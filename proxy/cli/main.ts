/**
 * The proxy's command line: `sextant proxy-server <command>`, and the whole command line when the
 * binary is started as `kamal-proxy`. It speaks kamal-proxy's commands and flags, prints errors as
 * `Error: <message>` on stderr and returns exit code 1 for them (as cobra does). Beside it in cli/:
 * flags.ts (the pflag-like parser), flag-tables.ts (each command's flags), control-client.ts (sends a
 * command to the running server over the control socket). `run` starts ../server.ts.
 */

import { readFileSync } from "node:fs";
import { LETS_ENCRYPT_STAGING } from "../acme/store.ts";
import { basicAuthFromFlags } from "../basic-auth.ts";
import { timeoutProblem } from "../conn-timeouts.ts";
import { jitAtRest } from "../jit-policy.ts";
import { serviceOptionsProblem } from "../options.ts";
import { dataDir, type Env, socketPath, stateFilePath } from "../paths.ts";
import type { ControlRequest, DeployArgs, ListResult } from "../protocol.ts";
import { ProxyServer } from "../server.ts";
import { fileStateStore } from "../state.ts";
import { callControl } from "./control-client.ts";
import { deployFlags, listFlags, pauseFlags, rolloutDeployFlags, rolloutSetFlags, runFlags, stopFlags } from "./flag-tables.ts";
import { type FlagSpec, type ParsedFlags, parseFlags, renderFlagUsage } from "./flags.ts";

interface ProxyCommandInfo {
  name: string;
  aliases?: string[];
  summary: string;
}

const PROXY_COMMANDS: readonly ProxyCommandInfo[] = [
  { name: "run", summary: "Run the server" },
  { name: "deploy", summary: "Deploy a target host" },
  { name: "remove", aliases: ["rm"], summary: "Remove the service" },
  { name: "list", aliases: ["ls"], summary: "List the services currently running" },
  { name: "pause", summary: "Pause a service" },
  { name: "resume", summary: "Resume a service" },
  { name: "stop", summary: "Stop a service" },
  { name: "rollout", summary: "Set or clear a rollout (deploy, set, stop)" },
];

function renderProxyHelp(prog: string): string {
  const width = Math.max(...PROXY_COMMANDS.map((c) => c.name.length));
  const lines = PROXY_COMMANDS.map((c) => {
    const aliases = c.aliases?.length ? ` (alias: ${c.aliases.join(", ")})` : "";
    return `  ${c.name.padEnd(width)}  ${c.summary}${aliases}`;
  });
  return [
    "HTTP proxy for zero downtime deployments",
    "",
    "Usage:",
    `  ${prog} [command]`,
    "",
    "Available Commands:",
    `  ${"help".padEnd(width)}  Help about any command`,
    ...lines,
    "",
    "Flags:",
    "  -h, --help   help for kamal-proxy",
    "",
    `Use "${prog} [command] --help" for more information about a command.`,
    "",
  ].join("\n");
}

export interface ProxyIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: ProxyIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Thrown for `--help`: the usage text goes to stdout with exit code 0. */
class HelpRequested extends Error {}

function parse(argv: readonly string[], specs: FlagSpec[], usage: string, argCount: number | undefined): ParsedFlags {
  const parsed = parseFlags(argv, specs);
  if (parsed.help) throw new HelpRequested(`Usage:\n  ${usage} [flags]\n\nFlags:\n${renderFlagUsage(specs)}\n  -h, --help   help\n`);
  if (argCount !== undefined && parsed.args.length !== argCount) throw new Error(`accepts ${argCount} arg(s), received ${parsed.args.length}`);
  return parsed;
}

/** Run the proxy command line. `prog` is how the user called it, for help texts. */
export async function runProxyCli(argv: readonly string[], prog: string, io: ProxyIo = defaultIo, env: Env = process.env): Promise<number> {
  let [command, ...rest] = argv;
  // `help <command>` is cobra's spelling of `<command> --help`.
  if (command === "help" && rest[0]) [command, rest] = [rest[0], ["--help"]];
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(renderProxyHelp(prog));
    return 0;
  }
  const known = PROXY_COMMANDS.find((c) => c.name === command || c.aliases?.includes(command));
  if (!known) {
    io.err(`Error: unknown command "${command}" for "${prog}"\nRun '${prog} --help' for usage.\n`);
    return 1;
  }
  try {
    if (known.name === "run") return await runServer(rest, prog, env);
    const request = buildRequest(known.name, rest, prog, env);
    const result = await callControl(socketPath(env), request);
    if (request.method === "list" && parseFlags(rest, listFlags).values.json) io.out(renderListJson(result as ListResult));
    // lipgloss drops styling when stdout is not a terminal (as under a plain `docker exec`).
    else if (request.method === "list") io.out(renderList(result as ListResult, io === defaultIo && !!process.stdout.isTTY));
    return 0;
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.out(`${known.summary}\n\n${e.message}`);
      return 0;
    }
    io.err(`Error: ${(e as Error).message}\n`);
    return 1;
  }
}

function buildRequest(command: string, argv: string[], prog: string, env: Env): ControlRequest {
  switch (command) {
    case "deploy":
      return { method: "deploy", args: deployArgs(argv, prog, env) };
    case "remove":
      return { method: "remove", args: { service: parse(argv, [], `${prog} remove <service>`, 1).args[0]! } };
    case "list":
      parse(argv, listFlags, `${prog} list`, 0);
      return { method: "list", args: {} };
    case "resume":
      return { method: "resume", args: { service: parse(argv, [], `${prog} resume <service>`, 1).args[0]! } };
    case "pause": {
      const p = parse(argv, pauseFlags, `${prog} pause <service>`, 1);
      return { method: "pause", args: { service: p.args[0]!, drain_timeout: p.values["drain-timeout"] as number, pause_timeout: p.values["max-pause"] as number } };
    }
    case "stop": {
      const p = parse(argv, stopFlags, `${prog} stop <service>`, 1);
      return { method: "stop", args: { service: p.args[0]!, drain_timeout: p.values["drain-timeout"] as number, message: p.values.message as string } };
    }
    case "rollout":
      return rolloutRequest(argv, prog);
  }
  throw new Error(`unknown command "${command}" for "${prog}"`);
}

function rolloutRequest(argv: string[], prog: string): ControlRequest {
  const [sub, ...rest] = argv;
  const usage = `Usage:\n  ${prog} rollout [command]\n\nAvailable Commands:\n  deploy      Deploy a target host for rollout\n  disable     Stop sending traffic to the rollout, remembering its split\n  enable      Send traffic to the rollout, using the split it was last set to\n  set         Set the rollout traffic split\n  stop        Stop the rollout\n`;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") throw new HelpRequested(usage);
  if (sub === "deploy") {
    const p = parse(rest, rolloutDeployFlags, `${prog} rollout deploy <service>`, 1);
    return {
      method: "rollout-deploy",
      args: {
        service: p.args[0]!,
        targets: p.values.target as string[],
        readers: p.values["read-target"] as string[],
        deployment: { deploy_timeout: p.values["deploy-timeout"] as number, drain_timeout: p.values["drain-timeout"] as number, force: false },
      },
    };
  }
  if (sub === "set") {
    const p = parse(rest, rolloutSetFlags, `${prog} rollout set <service>`, 1);
    if (!p.given.has("percent") && !p.given.has("list")) throw new Error(`at least one of the flags in the group [percent list] is required`);
    return { method: "rollout-set", args: { service: p.args[0]!, percentage: p.values.percent as number, allowlist: p.values.list as string[] } };
  }
  if (sub === "stop") return { method: "rollout-stop", args: { service: parse(rest, [], `${prog} rollout stop <service>`, 1).args[0]! } };
  if (sub === "enable" || sub === "disable") return { method: "rollout-enable", args: { service: parse(rest, [], `${prog} rollout ${sub} <service>`, 1).args[0]!, enabled: sub === "enable" } };
  throw new Error(`unknown command "${sub}" for "${prog} rollout"`);
}

function deployArgs(argv: string[], prog: string, env: Env): DeployArgs {
  const p = parse(argv, deployFlags(dataDir(env)), `${prog} deploy <service>`, 1);
  const v = p.values;
  if (p.given.has("max-request-body") && !p.given.has("buffer-requests")) throw new Error("max-request-body can only be set when request buffering is enabled");
  if (p.given.has("max-response-body") && !p.given.has("buffer-responses")) throw new Error("max-response-body can only be set when response buffering is enabled");
  if (v["tls-staging"] && v["tls-acme-directory"]) throw new Error(`if any flags in the group [tls-staging tls-acme-directory] are set none of the others can be`);
  if (!!v["tls-certificate-path"] !== !!v["tls-private-key-path"]) throw new Error(`if any flags in the group [tls-certificate-path tls-private-key-path] are set they must all be set`);
  const tls = v.tls as boolean;
  const args: DeployArgs = {
    service: p.args[0]!,
    targets: v.target as string[],
    readers: v["read-target"] as string[],
    deployment: { deploy_timeout: v["deploy-timeout"] as number, drain_timeout: v["drain-timeout"] as number, force: v.force as boolean },
    service_options: {
      hosts: v.host as string[],
      path_prefixes: v["path-prefix"] as string[],
      tls_enabled: tls,
      tls_certificate_path: v["tls-certificate-path"] as string,
      tls_private_key_path: v["tls-private-key-path"] as string,
      tls_on_demand_url: v["tls-on-demand-url"] as string,
      tls_redirect: v["tls-redirect"] as boolean,
      canonical_host: v["canonical-host"] as string,
      acme_directory: (v["tls-acme-directory"] as string) || (v["tls-staging"] ? LETS_ENCRYPT_STAGING : ""),
      acme_cache_path: v["tls-acme-cache-path"] as string,
      error_page_path: v["error-pages"] as string,
      strip_prefix: v["strip-path-prefix"] as boolean,
      writer_affinity_timeout: v["writer-affinity-timeout"] as number,
      read_targets_accept_websockets: v["read-target-websockets"] as boolean,
      exclude_metrics_paths: (v["exclude-metrics-path"] as string[]).length ? (v["exclude-metrics-path"] as string[]) : null,
      client_ip_header: v["client-ip-header"] as string,
      // Read here, in the command-line client: the server only ever gets the password's hash.
      basic_auth: basicAuthFromFlags(v["basic-auth"] as string, v["basic-auth-file"] as string),
    },
    target_options: {
      health_check_config: {
        path: v["health-check-path"] as string,
        port: v["health-check-port"] as number,
        interval: v["health-check-interval"] as number,
        timeout: v["health-check-timeout"] as number,
        host: v["health-check-host"] as string,
      },
      response_timeout: v["target-timeout"] as number,
      buffer_requests: v["buffer-requests"] as boolean,
      buffer_responses: v["buffer-responses"] as boolean,
      max_memory_buffer_size: v["buffer-memory"] as number,
      max_request_body_size: v["max-request-body"] as number,
      max_response_body_size: v["max-response-body"] as number,
      log_request_headers: (v["log-request-header"] as string[]).length ? (v["log-request-header"] as string[]) : null,
      log_response_headers: (v["log-response-header"] as string[]).length ? (v["log-response-header"] as string[]) : null,
      // Trusting incoming X-Forwarded-* is safe only behind another proxy, which plain HTTP implies.
      forward_headers: p.given.has("forward-headers") ? (v["forward-headers"] as boolean) : !tls,
      scope_cookie_paths: v["scope-cookie-paths"] as boolean,
    },
  };
  const problem = serviceOptionsProblem({ ...args.service_options, path_prefixes: args.service_options.path_prefixes.length ? args.service_options.path_prefixes : ["/"] });
  if (problem) throw new Error(`service options invalid: ${problem}`);
  return args;
}

/** `list --json`: service name → { hosts, path_prefixes, tls, targets, state }, the shape newer kamal-proxy prints. */
function renderListJson(result: ListResult): string {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(result).sort()) {
    const e = result[name]!;
    out[name] = { hosts: e.hosts ?? [], path_prefixes: e.path_prefixes ?? [], tls: e.tls, targets: e.targets ?? [], state: e.state };
  }
  return JSON.stringify(out) + "\n";
}

export function renderList(result: ListResult, color = false): string {
  const header = ["Service", "Host", "Path", "Target", "State", "TLS"];
  const rows = Object.keys(result)
    .sort()
    .map((name) => {
      const e = result[name]!;
      return [name, e.host, e.path, e.target, e.state, e.tls ? "yes" : "no"];
    });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], style: (cell: string, i: number) => string) => cells.map((c, i) => style(i < cells.length - 1 ? c.padEnd(widths[i]!) : c, i)).join("  ") + "\n";
  const style = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return line(header, (c) => style("3;94", c)) + rows.map((r) => line(r, (c, i) => (i === 0 ? style("1;34", c) : c))).join("");
}

async function runServer(argv: string[], prog: string, env: Env): Promise<number> {
  const p = parse(argv, runFlags(env), `${prog} run`, 0);
  const timeouts = {
    readHeader: p.values["read-header-timeout"] as number,
    idle: p.values["idle-timeout"] as number,
    requestBody: p.values["request-body-timeout"] as number,
  };
  for (const [flag, ms] of [
    ["read-header-timeout", timeouts.readHeader],
    ["idle-timeout", timeouts.idle],
  ] as const) {
    const problem = timeoutProblem(flag, ms);
    if (problem) throw new Error(problem);
  }
  if (timeouts.requestBody < 0) throw new Error("request-body-timeout must not be negative");
  const dir = dataDir(env);
  const server = new ProxyServer({
    httpPort: p.values["http-port"] as number,
    httpsPort: p.values["https-port"] as number,
    metricsPort: p.values["metrics-port"] as number,
    debug: p.values.debug as boolean,
    http3: p.values.http3 as boolean,
    socketPath: socketPath(env),
    state: fileStateStore(stateFilePath(dir)),
    timeouts,
    acme: {
      directory: p.values["tls-acme-directory"] as string,
      cachePath: `${dir}/certs`,
      caPem: p.values["tls-acme-ca"] ? readFileSync(p.values["tls-acme-ca"] as string, "utf8") : undefined,
      eab: p.values["tls-acme-eab-kid"] ? { kid: p.values["tls-acme-eab-kid"] as string, hmacKey: p.values["tls-acme-eab-hmac-key"] as string } : undefined,
    },
  });
  await server.start();
  jitAtRest();
  // As PID 1 in a container nothing else handles SIGTERM, so the server must exit on it by itself.
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  await server.stop();
  return 0;
}
