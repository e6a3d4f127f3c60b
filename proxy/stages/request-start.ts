/**
 * `X-Request-Start: t=<ms since the epoch>` for the app (queue-time metrics in APMs), unless a proxy in
 * front already set it.
 */
import type { Clock } from "../clock.ts";
import type { Stage } from "./compose.ts";

export function withRequestStart(clock: Clock): Stage {
  return (next) => (ctx) => {
    if (!ctx.headers.has("x-request-start")) ctx.headers.set("x-request-start", `t=${clock.now()}`);
    return next(ctx);
  };
}
