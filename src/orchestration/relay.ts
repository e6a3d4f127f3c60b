/**
 * Byte relays between a local socket and an SSH channel: the remote builder's Docker engine served
 * on a local port, and the local registry reached from a server's reverse forward.
 */
import type { Duplex } from "node:stream";

/** Join two streams both ways; an error on either side ends both (no half-open connection is left). */
export function relay(a: Duplex, b: Duplex): void {
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", close);
  b.on("error", close);
  a.pipe(b);
  b.pipe(a);
}
