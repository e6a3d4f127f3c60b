/**
 * Interactive sessions on a server (`app exec -i`, `app logs -f`, `server exec -i`...): the terminal
 * is handed to the system `ssh -t` client, as Kamal does, with this process's stdin, stdout and
 * stderr. Returns ssh's exit code (the remote command's, or 255 when ssh itself failed).
 */
import { spawn } from "node:child_process";
import { runOverSsh } from "../commands/server.ts";
import { type Argv, render } from "../commands/shell.ts";
import { SextantError } from "../errors.ts";
import type { Run } from "./run.ts";

/** The local command line (a shell string) that runs `remote` on `host` over `ssh -t`. */
function interactiveCommand(run: Run, host: string, remote: Argv): string {
  return render(runOverSsh(run.config.ssh, host, remote));
}

export async function runInteractive(run: Run, host: string, remote: Argv): Promise<number> {
  const line = interactiveCommand(run, host, remote);
  await run.session.beforeFirstConnection();
  run.session.emit({ type: "command", host: "local", command: line });
  // The pooled connections are not needed while the user works in the session.
  await run.session.close();
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", `exec ${line}`], { stdio: "inherit", cwd: run.config.cwd });
    // A signal to this process ends ssh (and with it the remote command), then this process. ssh
    // with a terminal ignores SIGINT (Ctrl-C typed in the session goes to the remote side), so an
    // interrupt becomes SIGTERM.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal === "SIGHUP" ? "SIGHUP" : "SIGTERM");
    const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const done = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.on("error", (error) => {
      done();
      reject(new SextantError(`cannot start ssh: ${error.message}`, { hint: "Interactive sessions need the OpenSSH client (ssh) on this machine." }));
    });
    child.on("close", (code, signal) => {
      done();
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

/** True when this process talks to a terminal (decides `-it` versus `-i` for docker). */
export function stdinIsTty(): boolean {
  return process.stdin.isTTY === true;
}
