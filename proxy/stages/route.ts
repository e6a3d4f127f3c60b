/**
 * Finds the service for the request's host and path (router.ts): none gives the 404 page. The match is
 * left on the context for the stages after it, with the path the app will see (prefix stripped when the
 * service asks for it) and the extra headers the service logs.
 */
import { renderErrorPage } from "../error-pages.ts";
import { type Router, stripPrefix } from "../router.ts";
import type { Stage } from "./compose.ts";

export function withRouting(router: Router): Stage {
  return (next) => (ctx) => {
    const match = router.lookup(ctx.hostname, ctx.path);
    if (!match) return renderErrorPage(404);
    const s = match.service;
    ctx.matched = s;
    if (s.options.strip_prefix && match.prefix !== "/") {
      ctx.matchedPrefix = match.prefix;
      ctx.strippedPath = stripPrefix(match.prefix, ctx.path);
    }
    if (s.targetOptions.log_request_headers) ctx.logRequestHeaders = s.targetOptions.log_request_headers;
    if (s.targetOptions.log_response_headers) ctx.logResponseHeaders = s.targetOptions.log_response_headers;
    return next(ctx);
  };
}
