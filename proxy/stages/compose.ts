/**
 * How the request path is put together: each stage is a function that takes the next handler and
 * returns its own, so the chain is built once at start (as Go middleware wraps `http.Handler`s) and a
 * request pays one plain call per stage: no closure, promise or array per request. A stage that has
 * nothing to wait for returns its successor's result as it is, so only stages that must look at the
 * response (the request log) are async.
 */
import type { RequestContext } from "../context.ts";

/** What a handler gives back; undefined means the connection was upgraded to a WebSocket. */
export type HandlerResult = Response | undefined | Promise<Response | undefined>;

export type Handler = (ctx: RequestContext) => HandlerResult;

export type Stage = (next: Handler) => Handler;

/** `compose([a, b], last)` is `a(b(last))`: the first stage sees the request first. */
export function compose(stages: readonly Stage[], last: Handler): Handler {
  let handler = last;
  for (let i = stages.length - 1; i >= 0; i--) handler = stages[i]!(handler);
  return handler;
}
