/**
 * `Alt-Svc` on answers sent over TCP TLS when HTTP/3 is on (`--http3`), so browsers learn they may come
 * back over QUIC; HTTP/3 answers themselves and plain-HTTP ones carry none (as kamal-proxy). The front
 * end's fast lane adds the same header to its own answers (fast/exchange.ts).
 */
import type { Stage } from "./compose.ts";

export function withAltSvc(): Stage {
  return (next) => (ctx) => {
    const altSvc = ctx.conn.altSvc;
    if (!altSvc) return next(ctx);
    const set = (res: Response | undefined) => {
      res?.headers.set("alt-svc", altSvc);
      return res;
    };
    const result = next(ctx);
    return result instanceof Promise ? result.then(set) : set(result);
  };
}
