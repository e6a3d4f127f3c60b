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

/** Turn the client's headers into what the upstream sees. Mutates and returns `h`. */
export function prepareUpstreamHeaders(h: Headers, f: ForwardingInput): Headers {
  removeHopByHop(h);
  const prior = { for: h.get("x-forwarded-for"), proto: h.get("x-forwarded-proto"), host: h.get("x-forwarded-host") };
  for (const name of ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"]) h.delete(name);
  const proto = f.tls ? "https" : "http";
  if (f.forwardHeaders) {
    h.set("x-forwarded-for", prior.for ? `${prior.for}, ${f.peerIp}` : f.peerIp);
    h.set("x-forwarded-proto", prior.proto || proto);
    h.set("x-forwarded-host", prior.host || f.host);
  } else {
    h.set("x-forwarded-for", f.peerIp);
    h.set("x-forwarded-proto", proto);
    h.set("x-forwarded-host", f.host);
  }
  const existingTarget = h.get("x-kamal-target");
  h.set("x-kamal-target", f.forwardHeaders && existingTarget ? `${existingTarget}, ${f.target}` : f.target);
  // Go's proxy sends an empty User-Agent rather than its own default; Bun's fetch would add one.
  if (!h.has("user-agent")) h.set("user-agent", "");
  return h;
}
