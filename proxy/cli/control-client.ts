/** The client side of the control socket: one request, one reply, then close. */
import type { ControlReply, ControlRequest } from "../protocol.ts";

export async function callControl(path: string, request: ControlRequest): Promise<unknown> {
  const reply = await new Promise<ControlReply>((resolve, reject) => {
    let buf = "";
    let settled = false;
    const finish = (fn: () => void) => {
      if (!settled) (settled = true), fn();
    };
    Bun.connect({
      unix: path,
      socket: {
        open(socket) {
          socket.write(JSON.stringify(request) + "\n");
        },
        data(socket, chunk) {
          buf += chunk.toString();
          const nl = buf.indexOf("\n");
          if (nl >= 0) {
            finish(() => {
              try {
                resolve(JSON.parse(buf.slice(0, nl)) as ControlReply);
              } catch (e) {
                reject(e);
              }
            });
            socket.end();
          }
        },
        close() {
          finish(() => reject(new Error("connection closed before a reply was received")));
        },
        error(_socket, e) {
          finish(() => reject(e));
        },
        connectError(_socket, e) {
          finish(() => reject(new Error(`dial unix ${path}: connect: ${(e as Error).message}`)));
        },
      },
    }).catch((e: Error) => finish(() => reject(new Error(`dial unix ${path}: connect: ${e.message}`))));
  });
  if (!reply.ok) throw new Error(reply.error);
  return reply.result;
}
