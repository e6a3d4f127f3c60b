import { describe, expect, test } from "bun:test";
import { splitGlobalOptions } from "../../../src/cli/global-options.ts";
import { UsageError } from "../../../src/errors.ts";

describe("splitGlobalOptions", () => {
  test("takes Kamal's global options out from anywhere on the line", () => {
    const { globals, rest } = splitGlobalOptions(["-d", "staging", "app", "logs", "-r", "web,workers", "-f", "--primary"]);
    expect(globals.destination).toBe("staging");
    expect(globals.roles).toEqual(["web", "workers"]);
    expect(globals.primary).toBe(true);
    expect(rest).toEqual(["app", "logs", "-f"]);
  });

  test("-h is hosts, not help; --help is left for the command", () => {
    const { globals, rest } = splitGlobalOptions(["deploy", "-h", "1.1.1.1,1.1.1.2", "--help"]);
    expect(globals.hosts).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(rest).toEqual(["deploy", "--help"]);
  });

  test("--version VALUE is the app version; a bare --version asks for sextant's own", () => {
    expect(splitGlobalOptions(["deploy", "--version", "abc123"]).globals.version).toBe("abc123");
    expect(splitGlobalOptions(["deploy", "--version=abc123"]).globals.version).toBe("abc123");
    const bare = splitGlobalOptions(["--version"]);
    expect(bare.bareVersion).toBe(true);
    expect(bare.globals.version).toBeUndefined();
  });

  test("accepts Thor's underscore spellings, = values, attached short values and --no-", () => {
    const { globals } = splitGlobalOptions(["--config_file=config/other.yml", "-dproduction", "--skip_hooks", "--no-verbose", "-v"]);
    expect(globals.configFile).toBe("config/other.yml");
    expect(globals.destination).toBe("production");
    expect(globals.skipHooks).toBe(true);
    expect(globals.verbose).toBe(true);
  });

  test("defaults match Kamal", () => {
    const { globals } = splitGlobalOptions([]);
    expect(globals).toMatchObject({ configFile: "config/deploy.yml", lockWaitTimeout: 900, lockWaitInterval: 15, verbose: false });
  });

  test("everything after -- belongs to the command", () => {
    const { globals, rest } = splitGlobalOptions(["app", "exec", "--", "ls", "-d", "/"]);
    expect(globals.destination).toBeUndefined();
    expect(rest).toEqual(["app", "exec", "--", "ls", "-d", "/"]);
  });

  test("bad values are usage errors", () => {
    expect(() => splitGlobalOptions(["-d"])).toThrow(UsageError);
    expect(() => splitGlobalOptions(["--lock-wait-timeout", "soon"])).toThrow("--lock-wait-timeout takes a number of seconds");
    expect(() => splitGlobalOptions(["--hosts", ","])).toThrow("--hosts needs at least one name");
    expect(() => splitGlobalOptions(["--quiet=maybe"])).toThrow("--quiet takes no value");
  });
});
