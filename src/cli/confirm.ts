/** The yes/no question before destructive commands (`-y` answers it; without a terminal it must). */
import { UsageError } from "../errors.ts";
import { commandPath } from "./context.ts";

/** Ask on a terminal; without one, `-y` is required. The error names the command being run. */
export async function confirm(question: string, confirmed: boolean | undefined): Promise<boolean> {
  if (confirmed) return true;
  const command = commandPath().join(" ");
  if (!process.stdin.isTTY) throw new UsageError(`${command} needs confirmation`, { hint: `Run \`sextant ${command} -y\` to confirm without a prompt.` });
  const { consola } = await import("consola");
  const ok = await consola.prompt(question, { type: "confirm", initial: false });
  if (ok !== true) process.stdout.write("Aborted\n");
  return ok === true;
}
