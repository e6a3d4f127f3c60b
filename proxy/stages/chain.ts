/**
 * The one place the request path is assembled, in the order a request meets it (kamal-proxy's
 * buildHandler does the same with its middlewares). Built once per server at start.
 */
import type { Clock } from "../clock.ts";
import type { ConnTimer } from "../conn-timeouts.ts";
import type { Logger } from "../logging.ts";
import type { Metrics } from "../metrics.ts";
import type { Router } from "../router.ts";
import { type AcmeAnswers, withAcme } from "./acme.ts";
import { withAltSvc } from "./alt-svc.ts";
import { compose, type Handler } from "./compose.ts";
import { withConnTimer } from "./conn-timer.ts";
import { withRequestChecks } from "./request-checks.ts";
import { withRequestId } from "./request-id.ts";
import { withRequestLog } from "./request-log.ts";
import { withRequestStart } from "./request-start.ts";
import { withRouting } from "./route.ts";
import { serveService } from "./service.ts";

export interface ChainDeps {
  router: Router;
  acme: AcmeAnswers;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  connTimer: ConnTimer;
}

export function buildChain(d: ChainDeps): Handler {
  return compose(
    [
      withAltSvc(), // on every answer over TCP TLS when HTTP/3 is on, errors included
      withRequestChecks(d.logger), // 400 for ambiguous requests, before anything reads them
      withConnTimer(d.connTimer), // no inactivity timeout while the request is handled
      withRequestStart(d.clock),
      withRequestId(),
      withRequestLog({ logger: d.logger, metrics: d.metrics, connTimer: d.connTimer }), // sees every answer below, 404s included
      withRouting(d.router),
      withAcme(d.acme), // HTTP-01 answers come before the service's redirects
    ],
    serveService,
  );
}
