/**
 * The request log and metrics: one `Request` line and one metrics sample per request, written when the
 * response is over (its body fully sent or the client gone), then the context's finish hooks (in-flight
 * release, buffers, timers) run, and the connection's timer goes back to the keep-alive idle timeout.
 * Errors from the stages after this one become the 500 page here, so they are logged like any answer.
 */
import type { ConnTimer } from "../conn-timeouts.ts";
import type { RequestContext } from "../context.ts";
import { renderErrorPage } from "../error-pages.ts";
import type { Logger } from "../logging.ts";
import type { Metrics } from "../metrics.ts";
import type { Stage } from "./compose.ts";

export interface RequestLogDeps {
  logger: Logger;
  metrics: Metrics;
  connTimer: ConnTimer;
}

/** For the 101 of a WebSocket; made on first use (an idle proxy need not construct a Headers at all). */
let emptyHeaders: Headers | undefined;

export function withRequestLog(deps: RequestLogDeps): Stage {
  const log = new RequestLog(deps);
  return (next) => async (ctx) => {
    let res: Response | undefined;
    try {
      const r = next(ctx);
      // Only wait when there is something to wait for (a 404 or a redirect is already here).
      res = r instanceof Promise ? await r : r;
    } catch (e) {
      deps.logger.error("Error while proxying", { path: ctx.path, error: (e as Error).message });
      res = renderErrorPage(500);
    }
    if (res === undefined) {
      // A WebSocket: logged as 101 when the relay ends (the service registered its own hooks).
      ctx.onFinish(() => log.record(ctx, 101, 0, (emptyHeaders ??= new Headers())));
      return undefined;
    }
    return log.track(ctx, res);
  };
}

class RequestLog {
  constructor(private readonly deps: RequestLogDeps) {}

  /** The request's log line and metrics sample. */
  record(ctx: RequestContext, status: number, bytes: number, headers: Headers): void {
    this.deps.logger.request({ ctx, status, respBytes: bytes, respHeaders: headers, logRequestHeaders: ctx.logRequestHeaders, logResponseHeaders: ctx.logResponseHeaders });
    const { metrics } = this.deps;
    if (!ctx.excludedFromMetrics && metrics.enabled) metrics.request(ctx.service, ctx.req.method, status, (performance.now() - ctx.startedAt) / 1e3);
  }

  /** Log, then run the finish hooks (in-flight release, buffers, timers): the order the hooks always had. */
  finish(ctx: RequestContext, status: number, bytes: number, headers: Headers): void {
    try {
      this.record(ctx, status, bytes, headers);
    } catch {
      // A failing log write must not keep the in-flight release from running.
    }
    ctx.finish();
  }

  /**
   * Wrap the body to count bytes and to run the finish hooks at its end. A body already in memory (known
   * length) or none at all needs no wrapper: the hooks run at once.
   */
  track(ctx: RequestContext, res: Response): Response {
    const { server } = ctx.conn;
    const timer = this.deps.connTimer;
    // knownLength first: reading `res.body` turns a body held in memory into a JS stream (~0.6 µs), and
    // Bun.serve then sends it as a stream instead of as one buffer.
    if (ctx.knownLength !== undefined || !res.body) {
      this.finish(ctx, ctx.loggedStatus ?? res.status, ctx.knownLength ?? 0, res.headers);
      timer.idle(server, ctx.req);
      return res;
    }
    let bytes = 0;
    const reader = res.body.getReader();
    const done = () => {
      timer.idle(server, ctx.req);
      this.finish(ctx, ctx.loggedStatus ?? res.status, bytes, res.headers);
    };
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const chunk = await reader.read();
            if (chunk.done) {
              controller.close();
              done();
            } else {
              bytes += chunk.value.byteLength;
              controller.enqueue(chunk.value);
            }
          } catch (e) {
            controller.error(e);
            done();
          }
        },
        cancel(reason) {
          if (ctx.req.signal.aborted) ctx.loggedStatus = 499;
          void reader.cancel(reason).catch(() => undefined);
          done();
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }
}
