/**
 * Header hygiene between client and upstream: hop-by-hop removal (RFC 9110 §7.6.1, as Go's reverse proxy
 * does it) and kamal-proxy's X-Forwarded-* / X-Kamal-Target rules.
 */

export const HOP_BY_HOP = ["connection", "proxy-connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

export function removeHopByHop(h: Headers): void {
  const listed = h.get("connection");
  // Host is end-to-end whatever Connection says: dropping it would make the upstream see the target's
  // address as Host (Go keeps Host outside the header map, so it cannot be removed there either).
  if (listed)
    for (const raw of listed.split(",")) {
      const name = raw.trim();
      if (name && name.toLowerCase() !== "host") h.delete(name);
    }
  const te = h.get("te");
  for (const name of HOP_BY_HOP) h.delete(name);
  // "TE: trailers" is the one hop-by-hop value that may be forwarded.
  if (te && te.trim().toLowerCase() === "trailers") h.set("te", "trailers");
}

export function isWebSocketUpgrade(h: Headers, method: string): boolean {
  return method === "GET" && (h.get("upgrade") ?? "").toLowerCase() === "websocket" && (h.get("connection") ?? "").toLowerCase().includes("upgrade");
}

export interface ForwardingInput {
  forwardHeaders: boolean;
  peerIp: string;
  tls: boolean;
  host: string;
  target: string;
}

/** The headers a client (or a proxy in front) sent that the forwarding headers build on. */
interface PriorForwarding {
  get(name: string): string | null;
}

/** The headers the proxy sends to the app to forward a request (both lanes): kamal-proxy's rules. */
export const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-kamal-target"];

/**
 * kamal-proxy's X-Forwarded-* and X-Kamal-Target values: with `forwardHeaders` (behind another proxy)
 * the received ones are extended, else replaced. `forwarded` is always dropped. Shared by the chain and
 * the fast lane so the rule is written once.
 */
export function forwardingValues(prior: PriorForwarding, f: ForwardingInput): [name: string, value: string][] {
  const proto = f.tls ? "https" : "http";
  const keep = f.forwardHeaders;
  const pFor = keep ? prior.get("x-forwarded-for") : null;
  const pTarget = keep ? prior.get("x-kamal-target") : null;
  return [
    ["x-forwarded-for", pFor ? `${pFor}, ${f.peerIp}` : f.peerIp],
    ["x-forwarded-proto", (keep && prior.get("x-forwarded-proto")) || proto],
    ["x-forwarded-host", (keep && prior.get("x-forwarded-host")) || f.host],
    ["x-kamal-target", pTarget ? `${pTarget}, ${f.target}` : f.target],
  ];
}

/** Turn the client's headers into what the upstream sees. Mutates and returns `h`. */
export function prepareUpstreamHeaders(h: Headers, f: ForwardingInput): Headers {
  removeHopByHop(h);
  const values = forwardingValues(h, f); // read before the received ones are deleted
  for (const name of FORWARDING_HEADERS) h.delete(name);
  for (const [name, value] of values) h.set(name, value);
  // Go's proxy sends an empty User-Agent rather than its own default; Bun's fetch would add one.
  if (!h.has("user-agent")) h.set("user-agent", "");
  return h;
}
