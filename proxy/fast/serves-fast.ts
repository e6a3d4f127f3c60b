/**
 * Which requests the fast lane takes: the service must need nothing but forwarding (no redirect, ACME
 * answer, auth, pause, rollout choice or client-IP header); everything else goes to the chain.
 */
import type { Service } from "../service.ts";

const ACME_PATH = "/.well-known/acme-challenge/";

/**
 * Whether the fast lane can answer for this service exactly as the chain would. Anything that needs a
 * redirect, an ACME answer, auth, a pause, a rollout choice or a client-IP header goes to the chain.
 */
export function servesFast(s: Service, path: string, hostname: string, tls: boolean): boolean {
  const o = s.options;
  // Over HTTPS only a TLS service answers (the chain says 503 for the others); over HTTP a TLS service
  // may redirect or order an on-demand certificate first.
  if (tls ? !s.tlsEnabled : s.tlsEnabled && (s.tlsRedirect || o.tls_on_demand_url)) return false;
  if (o.canonical_host !== "" && o.canonical_host !== hostname) return false;
  if (o.basic_auth || o.client_ip_header) return false;
  if (s.pause.state !== "running" || s.rollout) return false;
  return !path.startsWith(ACME_PATH);
}
