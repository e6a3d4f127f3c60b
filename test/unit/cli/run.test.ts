import { describe, expect, test } from "bun:test";
import { defineCommand } from "citty";
import { globalOptions } from "../../../src/cli/context.ts";
import { runCli } from "../../../src/cli/runner.ts";
import { UsageError } from "../../../src/errors.ts";
import { closest } from "../../../src/suggest.ts";

const seen: unknown[] = [];
const root = defineCommand({
  meta: { name: "sextant", description: "test root" },
  subCommands: {
    deploy: defineCommand({
      meta: { name: "deploy", description: "Deploy" },
      args: { skipPush: { type: "boolean", alias: "P", description: "skip push" } },
      run: ({ args }) => {
        seen.push({ skipPush: args.skipPush, destination: globalOptions().destination });
      },
    }),
    app: defineCommand({
      meta: { name: "app", description: "Manage the app" },
      subCommands: {
        boot: defineCommand({ meta: { name: "boot", description: "Boot the app" }, run: () => 7 }),
      },
    }),
  },
});

function capture() {
  let text = "";
  return { io: { out: (t: string) => void (text += t) }, text: () => text };
}

describe("runCli", () => {
  test("runs a command with its own options and the global ones", async () => {
    seen.length = 0;
    expect(await runCli(root, ["-d", "staging", "deploy", "--skip-push"], capture().io)).toBe(0);
    expect(seen).toEqual([{ skipPush: true, destination: "staging" }]);
  });

  test("a command's numeric result is the exit code", async () => {
    expect(await runCli(root, ["app", "boot"], capture().io)).toBe(7);
  });

  test("unknown commands suggest the closest one", async () => {
    const error = await runCli(root, ["deploi"], capture().io).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('Unknown command "deploi"');
    expect(error.hint).toContain('Did you mean "deploy"?');
    const nested = await runCli(root, ["app", "bot"], capture().io).catch((e) => e);
    expect(nested.message).toBe('Unknown command "bot" for "sextant app"');
    expect(nested.hint).toContain('"boot"');
  });

  test("unknown options are rejected with a suggestion", async () => {
    const error = await runCli(root, ["deploy", "--skip-pusj"], capture().io).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('Unknown option --skip-pusj for "sextant deploy"');
    expect(error.hint).toBe("Did you mean --skip-push?");
  });

  test("--help, help COMMAND and a bare group print usage with the global options", async () => {
    for (const argv of [
      ["deploy", "--help"],
      ["help", "deploy"],
    ]) {
      const out = capture();
      expect(await runCli(root, argv, out.io)).toBe(0);
      expect(out.text()).toContain("sextant deploy");
      expect(out.text()).toContain("--skip-push");
      expect(out.text()).toContain("-h, --hosts HOSTS");
    }
    const group = capture();
    expect(await runCli(root, ["app"], group.io)).toBe(0);
    expect(group.text()).toContain("boot");
  });

  test("a bare --version prints sextant's version", async () => {
    const out = capture();
    expect(await runCli(root, ["--version"], out.io)).toBe(0);
    expect(out.text()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe("closest", () => {
  test("finds typos and prefixes, ignores unrelated words", () => {
    expect(closest("deploi", ["deploy", "details"])).toBe("deploy");
    expect(closest("acc", ["accessory", "app"])).toBe("accessory");
    expect(closest("zebra", ["deploy", "app"])).toBeUndefined();
  });
});
