/**
 * The first stage: requests that Bun's parser lets through but a proxy must refuse (two Host or two
 * Content-Length headers, see request-checks.ts) get 400 here, before anything else looks at them.
 * They are logged as "Bad request", not as a `Request` line, as they never reach a service.
 */
import type { Logger } from "../logging.ts";
import { badRequest, badRequestReason } from "../request-checks.ts";
import type { Stage } from "./compose.ts";

export function withRequestChecks(logger: Logger): Stage {
  return (next) => (ctx) => {
    const refused = badRequestReason(ctx.req.headers);
    if (refused === undefined) return next(ctx);
    logger.info("Bad request", { reason: refused, remote_addr: ctx.conn.remoteAddr });
    return badRequest();
  };
}
