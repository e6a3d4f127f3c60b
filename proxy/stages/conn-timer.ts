/**
 * Switches the connection's inactivity timer off while a request is handled: a slow app is
 * `--target-timeout`'s business and a long download is never cut. The request log stage switches it to
 * the keep-alive idle timeout once the response has been handed over (conn-timeouts.ts has the why).
 */
import type { ConnTimer } from "../conn-timeouts.ts";
import type { Stage } from "./compose.ts";

export function withConnTimer(timer: ConnTimer): Stage {
  return (next) => (ctx) => {
    timer.handling(ctx.conn.server, ctx.req);
    return next(ctx);
  };
}
