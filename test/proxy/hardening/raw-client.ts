/**
 * A raw TCP client for hostile-client tests: write bytes exactly as given (in pieces, with pauses), read
 * everything the proxy sends, and know when (and whether) the proxy closed the connection.
 */
import net from "node:net";
import tls from "node:tls";

export interface RawConn {
  write(text: string | Uint8Array): void;
  /** Everything received so far, as latin1 text. */
  readonly received: string;
  readonly closed: boolean;
  /** Resolves when the proxy closes the connection, or with false after `ms`. */
  waitClosed(ms: number): Promise<boolean>;
  /** Resolves when `received` contains `text`, or with false after `ms`. */
  waitFor(text: string, ms: number): Promise<boolean>;
  /** Resolves true once `cond` holds (checked on every arrival and close), false after `ms`. */
  until(cond: () => boolean, ms: number): Promise<boolean>;
  /** Stop reading from the socket (the kernel buffers fill up, then the sender is held back). */
  pauseReading(): void;
  resumeReading(): void;
  destroy(): void;
}

/**
 * Connects to 127.0.0.1:`port`; with `tls`, to the HTTPS port as an HTTP/1.1 client (ALPN) sending that
 * server name, trusting any certificate: the same bytes then go through the TLS front end.
 */
export async function rawConnect(port: number, opts: { tls?: { servername: string } } = {}): Promise<RawConn> {
  const socket = opts.tls ? tls.connect({ host: "127.0.0.1", port, servername: opts.tls.servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }) : net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once(opts.tls ? "secureConnect" : "connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  let closed = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  socket.on("data", (d: Buffer) => {
    received += d.toString("latin1");
    notify();
  });
  socket.on("error", () => undefined);
  socket.on("close", () => {
    closed = true;
    notify();
  });
  const until = (ok: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (ok()) return resolve(true);
      const check = () => {
        if (ok()) finish(true);
      };
      const finish = (v: boolean) => {
        waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => finish(ok()), ms);
      waiters.add(check);
    });
  return {
    write: (t) => void socket.write(t),
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    waitClosed: (ms) => until(() => closed, ms),
    waitFor: (text, ms) => until(() => received.includes(text), ms),
    until,
    pauseReading: () => socket.pause(),
    resumeReading: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}

/** The status codes of all responses in `text`, in order. */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
