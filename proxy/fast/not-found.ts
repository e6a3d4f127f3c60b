/**
 * The 404 for a request no service claims, answered by the front end itself. The chain gives the same
 * page, log line and metrics sample, but only after a loopback hop through Bun.serve; such requests are
 * a steady trickle on any server with a public address (scanners, stale DNS), and answering them here
 * keeps an idle proxy from ever starting the chain (server.ts starts it on first use).
 */
import type { LoggedRequest } from "../logging.ts";
import type { ClientSide, FastDeps } from "./exchange.ts";
import { HeaderList } from "./header-list.ts";
import { PAGE_HEADERS, pageAnswer } from "./page-answer.ts";
import type { RequestHead } from "./request-head.ts";

const NO_HEADERS: readonly string[] = [];

/** What the front end holds while the answer is out: the connection is busy until then. */
export interface NotFoundAnswer {
  clientGone(): void;
}

export function answerNotFound(deps: FastDeps, client: ClientSide, head: RequestHead): NotFoundAnswer {
  const startedAt = performance.now();
  const keepAlive = !head.close && !client.lastAnswer;
  const page = pageAnswer(404, head.method, undefined, deps.altSvc);
  const headBytes = Buffer.from(`${page.head}${keepAlive ? "" : "connection: close\r\n"}\r\n`, "latin1");
  const taken = client.send(page.body.length ? Buffer.concat([headBytes, page.body]) : headBytes);

  const headers = new HeaderList(head.names, head.values);
  const id = headers.get("x-request-id") ?? crypto.randomUUID();
  const logged: LoggedRequest = {
    host: head.host,
    path: head.path,
    query: head.query,
    startedAt,
    service: "",
    target: "",
    remoteAddr: headers.get("x-forwarded-for") ?? client.remoteAddr,
    conn: { port: deps.port, remoteAddr: client.remoteAddr, remotePort: client.remotePort, tls: client.tls },
    headers: { get: (name) => (name === "x-request-id" ? id : headers.get(name)) },
    req: { method: head.method, headers, body: null },
    jsonSafe: true,
  };
  try {
    // HEAD logs no body bytes, as Go's ResponseWriter counts them.
    deps.logger.request({ ctx: logged, status: 404, respBytes: page.body.length, respHeaders: PAGE_HEADERS, logRequestHeaders: NO_HEADERS, logResponseHeaders: NO_HEADERS });
    if (deps.metrics.enabled) deps.metrics.request("", head.method, 404, (performance.now() - startedAt) / 1e3);
  } catch {
    // A failing log write must not leave the connection waiting.
  }

  // The next request on the connection is taken once this answer is out (or at least queued without
  // back-pressure), and never from inside this call: pipelined 404s follow one per microtask, not recursion.
  let gone = false;
  const next = () => void (gone || client.done(keepAlive));
  if (taken) queueMicrotask(next);
  else client.onDrained = next;
  return { clientGone: () => void (gone = true) };
}
