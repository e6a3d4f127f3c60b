/**
 * Aliases (`aliases:` in deploy.yml): an unknown first command word that the config defines as an
 * alias is replaced by the alias's command line and the CLI runs again (as Kamal's cli/main.rb does).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineCommand } from "citty";
import { globalOptions } from "../../../src/cli/context.ts";
import { runCli } from "../../../src/cli/runner.ts";
import { ConfigError } from "../../../src/config/index.ts";
import { SextantError, UsageError } from "../../../src/errors.ts";

const BASE = `service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: pw
builder:
  arch: amd64
`;

const ALIASES = `aliases:
  console: app exec -i --reuse "bin/rails console"
  workers: app exec --reuse -p -r console "bin/console"
  rails: app exec --reuse -p -r console rails
  world_deploy: deploy -d world
  c: console
  loop: loop2
  loop2: loop
  broken: app exec "bin/rails
`;

const seen: Record<string, unknown>[] = [];
const record = (command: string, extra: Record<string, unknown>) => {
  const g = globalOptions();
  seen.push({ command, ...extra, roles: g.roles, primary: g.primary, destination: g.destination, verbose: g.verbose });
};

const root = defineCommand({
  meta: { name: "sextant", description: "test root" },
  subCommands: {
    deploy: defineCommand({ meta: { name: "deploy", description: "Deploy" }, run: () => record("deploy", {}) }),
    app: defineCommand({
      meta: { name: "app", description: "Manage the app" },
      subCommands: {
        exec: defineCommand({
          meta: { name: "exec", description: "Run a command in the app container" },
          args: {
            interactive: { type: "boolean", alias: "i", description: "interactive" },
            reuse: { type: "boolean", description: "reuse" },
            cmd: { type: "positional", description: "command" },
          },
          run: ({ args }) => record("app exec", { interactive: !!args.interactive, reuse: !!args.reuse, args: args._ }),
        }),
      },
    }),
  },
});

let dir: string;
let config: string;
let broken: string;
let shadowing: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sextant-aliases-"));
  mkdirSync(join(dir, "config"));
  config = join(dir, "config/deploy.yml");
  writeFileSync(config, BASE + ALIASES);
  broken = join(dir, "config/broken.yml");
  writeFileSync(broken, "service: [\n");
  shadowing = join(dir, "config/shadowing.yml");
  writeFileSync(shadowing, `${BASE}aliases:\n  deploy: app exec ls\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  seen.length = 0;
  let out = "";
  const code = await runCli(root, argv, { out: (t) => void (out += t) });
  return { code, out, seen: [...seen] };
}

async function failure(argv: string[]): Promise<SextantError> {
  const error = await run(argv).catch((e) => e);
  expect(error).toBeInstanceOf(SextantError);
  return error as SextantError;
}

const defaults = { roles: undefined, primary: false, destination: undefined, verbose: false };

describe("aliases run their command line", () => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ["a quoted command", ["console"], { command: "app exec", interactive: true, reuse: true, args: ["bin/rails console"], ...defaults }],
    [
      "the rest of the command line is appended",
      ["rails", "db:migrate:status"],
      { command: "app exec", interactive: false, reuse: true, args: ["rails", "db:migrate:status"], ...defaults, roles: ["console"], primary: true },
    ],
    ["a later -r overrides the alias's", ["workers", "-r", "workers"], { command: "app exec", interactive: false, reuse: true, args: ["bin/console"], ...defaults, roles: ["workers"], primary: true }],
    ["global options before the alias stay", ["-v", "console"], { command: "app exec", interactive: true, reuse: true, args: ["bin/rails console"], ...defaults, verbose: true }],
    ["an option value equal to an alias name is not the alias", ["-r", "console", "console"], { command: "app exec", interactive: true, reuse: true, args: ["bin/rails console"], ...defaults, roles: ["console"] }],
    ["an alias with a destination", ["world_deploy"], { command: "deploy", ...defaults, destination: "world" }],
    ["an alias of an alias", ["c"], { command: "app exec", interactive: true, reuse: true, args: ["bin/rails console"], ...defaults }],
  ];
  for (const [label, argv, expected] of cases) {
    test(label, async () => {
      const result = await run(["-c", config, ...argv]);
      expect(result.code).toBe(0);
      expect(result.seen).toEqual([expected]);
    });
  }

  test("help ALIAS shows the help of the aliased command", async () => {
    const result = await run(["-c", config, "help", "console"]);
    expect(result.out).toContain("sextant app exec");
    expect(result.seen).toEqual([]);
  });

  test("built-in commands never load the config", async () => {
    const result = await run(["-c", broken, "deploy"]);
    expect(result.seen).toEqual([{ command: "deploy", ...defaults }]);
  });
});

describe("alias errors", () => {
  test("an unknown command suggests alias names too", async () => {
    const error = await failure(["-c", config, "consle"]);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('Unknown command "consle"');
    expect(error.hint).toBe('Did you mean "console"? See `sextant --help`.');
  });

  test("without a config file there are no aliases: the usual unknown command", async () => {
    const error = await failure(["-c", join(dir, "none.yml"), "console"]);
    expect(error.message).toBe('Unknown command "console"');
    expect(error.hint).toBe("See `sextant --help`.");
  });

  test("an alias that refers to itself", async () => {
    const error = await failure(["-c", config, "loop"]);
    expect(error.message).toBe("Alias 'loop' refers to itself (loop -> loop2 -> loop)");
  });

  test("an alias with an unmatched quote", async () => {
    const error = await failure(["-c", config, "broken"]);
    expect(error.message).toBe(`Alias 'broken' has an unmatched quote: app exec "bin/rails`);
  });

  test("an alias shadowing a built-in command is a config error", async () => {
    const error = await failure(["-c", shadowing, "console"]);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("Alias 'deploy' conflicts with a built-in command.");
  });

  test("a broken config: a typo of a command still gets its suggestion", async () => {
    const error = await failure(["-c", broken, "deploi"]);
    expect(error.message).toBe('Unknown command "deploi"');
    expect(error.hint).toContain('Did you mean "deploy"?');
  });

  test("a broken config: any other word reports the config's problem", async () => {
    const error = await failure(["-c", broken, "console"]);
    expect(error).toBeInstanceOf(ConfigError);
  });
});
