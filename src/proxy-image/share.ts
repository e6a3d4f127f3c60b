/**
 * `sextant proxy-image-share FILE --token T --downloads N --timeout S`: run inside a container of
 * the proxy image on the first server that received it, so the other servers download the archive
 * from it over their own network rather than each from the deployer's (often slow) uplink. Serves
 * FILE at /T only, exits after N complete downloads or S seconds, whichever comes first. The
 * archive is public (the released binary); the token only keeps strangers from wasting bandwidth.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";

interface ShareOptions {
  file: string;
  token: string;
  downloads: number;
  timeoutSeconds: number;
  port: number;
}

export function parseShareArgs(argv: readonly string[]): ShareOptions {
  const options: ShareOptions = { file: "", token: "", downloads: 1, timeoutSeconds: 600, port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--token") options.token = value();
    else if (arg === "--downloads") options.downloads = Number(value());
    else if (arg === "--timeout") options.timeoutSeconds = Number(value());
    else if (arg === "--port") options.port = Number(value());
    else if (!arg.startsWith("-") && !options.file) options.file = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!options.file || !/^[A-Za-z0-9_-]{16,}$/.test(options.token)) {
    throw new Error("usage: sextant proxy-image-share FILE --token TOKEN(16+ chars) [--downloads N] [--timeout SECONDS] [--port PORT]");
  }
  return options;
}

export function runShare(argv: readonly string[]): Promise<number> {
  const options = parseShareArgs(argv);
  const size = statSync(options.file).size;
  let served = 0;
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      if (req.method !== "GET" || req.url !== `/${options.token}`) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
      const stream = createReadStream(options.file);
      stream.pipe(res);
      res.on("finish", () => {
        served += 1;
        if (served >= options.downloads) finish(0);
      });
    });
    const timer = setTimeout(() => finish(served >= options.downloads ? 0 : 1), options.timeoutSeconds * 1000);
    function finish(code: number) {
      clearTimeout(timer);
      server.close();
      server.closeAllConnections?.();
      resolve(code);
    }
    // The deployer waits for this line before sending peers here (docker run returns earlier).
    server.listen(options.port, "0.0.0.0", () => process.stdout.write(`serving ${size} bytes on port ${options.port}\n`));
  });
}
