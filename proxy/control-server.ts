/**
 * The control socket: a Unix stream socket where each connection carries one JSON request line and gets
 * one JSON reply line. Calls block until the command finishes (deploy waits for health, swap, drain).
 * Whoever can connect can deploy routes, so the socket is created owner-only (0600) whatever the umask,
 * and a request line is bounded so a local client cannot make the server buffer without end.
 */
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import type { ControlReply, ControlRequest } from "./protocol.ts";

export interface ControlServer {
  path: string;
  stop(): void;
}

/** Far above any real command (a deploy with hundreds of hosts is a few KiB). */
export const MAX_COMMAND_BYTES = 1 << 20;

export function startControlServer(path: string, dispatch: (req: ControlRequest) => Promise<unknown>): ControlServer {
  // A socket file left by a previous run would make listen fail.
  if (existsSync(path)) unlinkSync(path);
  type Conn = { buf: string; handled: boolean };
  const reply = (socket: { write(s: string): number; end(): void }, r: ControlReply) => {
    socket.write(JSON.stringify(r) + "\n");
    socket.end();
  };
  // The umask decides the mode bind() gives the socket file; narrow it so the file is never, even for a
  // moment, connectable by other users, then set the mode explicitly in case the platform ignores it.
  const previousUmask = process.umask(0o177);
  let listener: ReturnType<typeof Bun.listen<Conn>>;
  try {
    listener = Bun.listen<Conn>({
      unix: path,
      socket: {
        open(socket) {
          socket.data = { buf: "", handled: false };
        },
        async data(socket, chunk) {
          const state = socket.data;
          if (state.handled) return;
          state.buf += chunk.toString();
          const nl = state.buf.indexOf("\n");
          if (nl < 0) {
            if (state.buf.length > MAX_COMMAND_BYTES) {
              state.handled = true;
              reply(socket, { ok: false, error: `command too long (limit ${MAX_COMMAND_BYTES} bytes)` });
            }
            return;
          }
          state.handled = true;
          let r: ControlReply;
          try {
            const req = JSON.parse(state.buf.slice(0, nl)) as ControlRequest;
            state.buf = "";
            r = { ok: true, result: await dispatch(req) };
          } catch (e) {
            r = { ok: false, error: e instanceof Error ? e.message : String(e) };
          }
          reply(socket, r);
        },
      },
    });
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(path, 0o600);
  return {
    path,
    stop() {
      listener.stop(true);
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}
