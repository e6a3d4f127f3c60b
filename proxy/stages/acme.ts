/**
 * ACME HTTP-01 answers (and on-demand certificate orders) for the routed service, before the service's
 * own redirect to HTTPS could send the CA's validation request elsewhere. Anything else passes through.
 */
import type { AcmeService } from "../acme/manager.ts";
import type { RequestContext } from "../context.ts";
import type { Stage } from "./compose.ts";

/** The part of the certificate manager this stage uses. */
export interface AcmeAnswers {
  intercept(ctx: RequestContext, service: AcmeService): Response | Promise<Response | undefined> | undefined;
}

export function withAcme(acme: AcmeAnswers): Stage {
  return (next) => (ctx) => {
    const early = acme.intercept(ctx, ctx.matched!);
    if (early === undefined) return next(ctx);
    if (early instanceof Response) return early;
    // An on-demand order was waited for; the request then goes on as usual (the redirect to HTTPS).
    return early.then((res) => res ?? next(ctx));
  };
}
