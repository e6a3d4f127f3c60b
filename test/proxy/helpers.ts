/**
 * Test harness: a real proxy (listening on 127.0.0.1, random ports) with its control socket in a temp
 * dir, real upstream servers, and the real command line talking to the socket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { runProxyCli } from "../../proxy/cli/main.ts";
import type { ConnTimeouts } from "../../proxy/conn-timeouts.ts";
import { dataDir, stateFilePath } from "../../proxy/paths.ts";
import { ProxyServer } from "../../proxy/server.ts";
import { fileStateStore, type StateStore } from "../../proxy/state.ts";
import { onCleanup } from "../support/cleanup.ts";

// Every proxy test file calls cleanupScope() at its top; what the helpers start is stopped after each test.
export { cleanupScope, onCleanup } from "../support/cleanup.ts";

interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Quick health checks so deploys finish in milliseconds. The deploy timeout is only a ceiling: a
 * healthy deploy returns at its first passing check, and a 2 s ceiling failed deploys on a loaded
 * machine. Tests that expect a deploy to time out give their own short --deploy-timeout.
 */
export const FAST = ["--health-check-interval=20ms", "--deploy-timeout=30s", "--drain-timeout=1s"];

export interface Harness {
  server: ProxyServer;
  port: number;
  home: string;
  socket: string;
  env: Record<string, string>;
  logs: string[];
  state: StateStore;
  cli(...args: string[]): Promise<CliResult>;
  deploy(service: string, targets: string | string[], ...flags: string[]): Promise<CliResult>;
  request(path: string, init?: RequestInit & { host?: string }): Promise<Response>;
  text(path: string, init?: RequestInit & { host?: string }): Promise<{ status: number; body: string; res: Response }>;
  requestLogs(): Record<string, unknown>[];
  restart(): Promise<Harness>;
  stop(): Promise<void>;
}

export async function startProxy(opts: { metricsPort?: number; httpsPort?: number; dir?: string; http3?: boolean; timeouts?: Partial<ConnTimeouts> } = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "proxy-test-"));
  const home = join(dir, "home");
  const socket = join(dir, "kamal-proxy.sock");
  const env = { HOME: home, KAMAL_PROXY_SOCKET: socket, TMPDIR: dir };
  const state = fileStateStore(stateFilePath(dataDir(env)));
  const logs: string[] = [];
  const server = new ProxyServer({
    httpPort: 0,
    httpsPort: opts.httpsPort ?? 0,
    metricsPort: opts.metricsPort ?? 0,
    http3: opts.http3,
    socketPath: socket,
    state,
    hostname: "127.0.0.1",
    timeouts: opts.timeouts,
    logWrite: (l) => logs.push(l),
  });
  await server.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  onCleanup(stop);
  if (!opts.dir) onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const h: Harness = {
    server,
    port: server.httpPort,
    home,
    socket,
    env,
    logs,
    state,
    async cli(...args) {
      let out = "";
      let err = "";
      const code = await runProxyCli(args, "kamal-proxy", { out: (t) => (out += t), err: (t) => (err += t) }, env);
      return { code, out, err };
    },
    deploy(service, targets, ...flags) {
      const list = Array.isArray(targets) ? targets : [targets];
      return h.cli("deploy", service, ...list.map((t) => `--target=${t}`), ...FAST, ...flags);
    },
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.host) headers.set("host", init.host);
      return fetch(`http://127.0.0.1:${h.port}${path}`, { ...init, headers, redirect: "manual" });
    },
    async text(path, init) {
      const res = await h.request(path, init);
      return { status: res.status, body: await res.text(), res };
    },
    requestLogs() {
      return logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "Request");
    },
    async restart() {
      await stop();
      return startProxy({ ...opts, dir });
    },
    stop,
  };
  return h;
}

export interface Upstream {
  addr: string;
  port: number;
  server: Server<any>;
  /** What the upstream received (copied, since Bun recycles finished requests). */
  requests: { method: string; url: string; headers: Headers }[];
}

type Handler = (req: Request, server: Server<any>) => Response | Promise<Response> | undefined | Promise<Response | undefined>;

/** An upstream on 127.0.0.1 that answers `name` (and 200 on /up) unless given a handler. */
export function upstream(name = "upstream", handler?: Handler, websocket?: any): Upstream {
  const requests: Upstream["requests"] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    fetch(req, srv) {
      requests.push({ method: req.method, url: req.url, headers: new Headers(req.headers) });
      if (handler) return handler(req, srv) as any;
      return new Response(name);
    },
    websocket: websocket ?? { message() {} },
  });
  onCleanup(() => server.stop(true));
  return { addr: `127.0.0.1:${server.port}`, port: server.port!, server, requests };
}

/** Echo the request as JSON, for header and path assertions. */
export function echoUpstream(name = "echo"): Upstream {
  return upstream(name, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/up") return new Response("ok");
    const body = await req.text();
    return Response.json({ name, method: req.method, url: req.url, path: url.pathname, rawQuery: req.url.split("?")[1] ?? "", headers: Object.fromEntries(req.headers), body });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Send raw bytes (for malformed requests fetch cannot produce) and collect the answer. */
export async function rawRequest(port: number, text: string): Promise<string> {
  let out = "";
  await new Promise<void>((resolve) => {
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(text);
        },
        data(_s, d) {
          out += new TextDecoder().decode(d);
        },
        close() {
          resolve();
        },
        error() {
          resolve();
        },
      },
    });
    setTimeout(resolve, 1000);
  });
  return out;
}
