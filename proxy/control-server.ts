/**
 * The control socket: a Unix stream socket where each connection carries one JSON request line and gets
 * one JSON reply line. Calls block until the command finishes (deploy waits for health, swap, drain).
 */
import { existsSync, unlinkSync } from "node:fs";
import type { ControlReply, ControlRequest } from "./protocol.ts";

export interface ControlServer {
  path: string;
  stop(): void;
}

export function startControlServer(path: string, dispatch: (req: ControlRequest) => Promise<unknown>): ControlServer {
  // A socket file left by a previous run would make listen fail.
  if (existsSync(path)) unlinkSync(path);
  type Conn = { buf: string; handled: boolean };
  const listener = Bun.listen<Conn>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = { buf: "", handled: false };
      },
      async data(socket, chunk) {
        const state = socket.data;
        state.buf += chunk.toString();
        const nl = state.buf.indexOf("\n");
        if (nl < 0 || state.handled) return;
        state.handled = true;
        let reply: ControlReply;
        try {
          const req = JSON.parse(state.buf.slice(0, nl)) as ControlRequest;
          reply = { ok: true, result: await dispatch(req) };
        } catch (e) {
          reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
        }
        socket.write(JSON.stringify(reply) + "\n");
        socket.end();
      },
    },
  });
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
