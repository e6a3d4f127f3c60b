import { defineCommand } from "citty";
import { commandFrom } from "../arguments.ts";
import { printByHost } from "../print.ts";
import { withRun } from "../with-run.ts";

const ops = () => import("../../orchestration/server-ops.ts");

const exec = defineCommand({
  meta: { name: "exec", description: "Run a shell command on every selected server (or interactively on the primary one with -i)" },
  args: {
    command: { type: "positional", required: false, description: "The command (quote it, or put it after --: sextant server exec -- uname -a)" },
    interactive: { type: "boolean", alias: "i", description: "Interactive session with a terminal on the primary host (over ssh -t)" },
  },
  async run({ args }) {
    const command = commandFrom(args._ as string[]);
    const { serverExec } = await ops();
    const { SextantError } = await import("../../errors.ts");
    return withRun({}, async (run) => {
      const result = await serverExec(run, command, { interactive: args.interactive });
      if (typeof result === "number") return result;
      printByHost(result);
      const failed = result.filter((r) => r.ok === false).map((r) => r.host);
      if (failed.length > 0) {
        throw new SextantError(`'${command}' failed on ${failed.join(", ")}`, { hint: "Its output is above; run with -v to see each step." });
      }
      return 0;
    });
  },
});

const bootstrap = defineCommand({
  meta: { name: "bootstrap", description: "Install Docker on the servers where it is missing (needs root or passwordless sudo), then run the docker-setup hook" },
  async run() {
    const { serverBootstrap } = await ops();
    await withRun({}, (run) => serverBootstrap(run));
  },
});

export default defineCommand({
  meta: { name: "server", description: "Run commands on the servers, install Docker" },
  subCommands: { exec, bootstrap },
});
