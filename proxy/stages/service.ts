/**
 * The end of the chain: the routed service answers (service.ts: TLS redirects, pause/stop, rollout,
 * target claim, then forwarding or a WebSocket relay).
 */
import type { Handler } from "./compose.ts";

export const serveService: Handler = (ctx) => ctx.matched!.serve(ctx);
