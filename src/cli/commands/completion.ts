import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

export default defineCommand({
  meta: { name: "completion", description: 'Print the shell completion script (bash, zsh or fish); e.g. eval "$(sextant completion bash)"' },
  args: { shell: { type: "positional", description: "bash, zsh or fish", required: true } },
  async run({ args }) {
    const shell = String(args.shell) as (typeof SHELLS)[number];
    if (!SHELLS.includes(shell)) throw new UsageError(`No completion for "${shell}": choose bash, zsh or fish`);
    const [{ rootCommand }, { completionTree, globalFlags }, scripts] = await Promise.all([import("../root.ts"), import("../completion/tree.ts"), import("../completion/scripts.ts")]);
    const tree = await completionTree(rootCommand);
    const write = { bash: scripts.bashCompletion, zsh: scripts.zshCompletion, fish: scripts.fishCompletion }[shell];
    process.stdout.write(write(tree, globalFlags));
  },
});
