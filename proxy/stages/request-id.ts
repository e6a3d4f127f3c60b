/** `X-Request-Id` for the app and the request log, unless the client or a proxy in front sent one. */
import type { Stage } from "./compose.ts";

export function withRequestId(newId: () => string = () => crypto.randomUUID()): Stage {
  return (next) => (ctx) => {
    if (!ctx.headers.has("x-request-id")) ctx.headers.set("x-request-id", newId());
    return next(ctx);
  };
}
