/** Printing what servers answered, the way Kamal does (`App Host: H` headers, hidden with -q). */
import type { HostOutput } from "../orchestration/app-ops.ts";
import { globalOptions } from "./context.ts";

/** `spaced: false` leaves out the blank line after each host (the accessory commands' layout). */
export function printByHost(outputs: readonly Pick<HostOutput, "host" | "text">[], kind = "App", options: { spaced?: boolean } = {}): void {
  const quiet = globalOptions().quiet;
  const spacer = quiet || options.spaced === false ? "" : "\n";
  for (const { host, text } of outputs) {
    if (!quiet) process.stdout.write(`${kind} Host: ${host}\n`);
    const body = text.endsWith("\n") || text === "" ? text : `${text}\n`;
    process.stdout.write(`${body}${spacer}`);
  }
}
