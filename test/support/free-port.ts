/**
 * A port that is free right now. Binding and releasing races with anything else that binds on the
 * machine, so use it only where the number must be known before the server starts and port 0 cannot
 * be used: a value the code under test must be told (Pebble's config, the proxy's metrics port, where
 * 0 means "off", or an environment variable a test checks is honoured). Everywhere else, listen on
 * port 0 and ask the server which port it got.
 */
import { createServer } from "node:net";

export function freePort(address = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, address, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
