/**
 * Checks on a parsed request that Bun's HTTP parser lets through but a proxy must refuse (RFC 9112):
 * Bun joins repeated header lines with ", ", so two Host headers arrive as "a, b" and two Content-Length
 * headers as "3, 3". Neither value can be legitimate (a host has no comma, a length has no comma), and a
 * proxy that picked one of them could disagree with the next hop about where or how long the request is.
 */

/** The reason a request must get 400, or undefined when it is fine. */
export function badRequestReason(headers: Headers): string | undefined {
  const host = headers.get("host");
  if (host?.includes(",")) return "more than one Host header";
  const length = headers.get("content-length");
  if (length?.includes(",")) return "more than one Content-Length header";
  return undefined;
}

export function badRequest(): Response {
  return new Response("Bad Request\n", { status: 400, headers: { connection: "close", "content-type": "text/plain; charset=utf-8" } });
}
