/** The command's name (KAMAL_COMMAND, KAMAL_SUBCOMMAND, confirmation errors) comes from where the runner found it. */
import { describe, expect, test } from "bun:test";
import { defineCommand } from "citty";
import { confirm } from "../../../src/cli/confirm.ts";
import { commandPath } from "../../../src/cli/context.ts";
import { runCli } from "../../../src/cli/runner.ts";

const seen: (readonly string[])[] = [];
const record = () => void seen.push(commandPath());
const root = defineCommand({
  meta: { name: "sextant", description: "test root" },
  subCommands: {
    deploy: defineCommand({ meta: { name: "deploy", description: "Deploy" }, run: record }),
    app: defineCommand({
      meta: { name: "app", description: "Manage the app" },
      subCommands: {
        stale_containers: defineCommand({ meta: { name: "stale_containers", alias: ["stale-containers"], description: "Stale" }, run: record }),
        remove: defineCommand({
          meta: { name: "remove", description: "Remove" },
          args: { confirmed: { type: "boolean", alias: "y", description: "yes" } },
          run: ({ args }) => confirm("Sure?", args.confirmed).then((ok) => (ok ? 0 : 1)),
        }),
      },
    }),
    proxy: defineCommand({
      meta: { name: "proxy", description: "Proxy" },
      subCommands: {
        boot_config: defineCommand({
          meta: { name: "boot_config", alias: ["boot-config"], description: "Boot config" },
          subCommands: { set: defineCommand({ meta: { name: "set", description: "Set" }, run: record }) },
        }),
      },
    }),
  },
});

const io = { out: () => {} };

describe("the command path", () => {
  test("canonical names, whatever alias was typed, global options left out", async () => {
    seen.length = 0;
    await runCli(root, ["-d", "staging", "deploy"], io);
    await runCli(root, ["app", "stale-containers"], io);
    await runCli(root, ["proxy", "boot-config", "set"], io);
    expect(seen).toEqual([["deploy"], ["app", "stale_containers"], ["proxy", "boot_config", "set"]]);
  });

  test("a confirmation error names the command being run", async () => {
    const tty = process.stdin.isTTY;
    process.stdin.isTTY = false;
    try {
      await expect(runCli(root, ["app", "remove"], io)).rejects.toThrow("app remove needs confirmation");
      expect(await runCli(root, ["app", "remove", "-y"], io)).toBe(0);
    } finally {
      process.stdin.isTTY = tty;
    }
  });
});
