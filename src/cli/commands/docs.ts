import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "docs", description: "Show the configuration documentation of a section (default: the root keys)" },
  args: {
    section: {
      type: "positional",
      required: false,
      valueHint: "SECTION",
      description: "accessory, alias, boot, builder, configuration, env, logging, output, proxy, registry, role, servers, ssh or sshkit",
    },
  },
  async run({ args }) {
    const { documentation } = await import("../../docs/index.ts");
    const text = await documentation(args.section);
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  },
});
