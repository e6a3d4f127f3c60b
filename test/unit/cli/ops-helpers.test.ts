import { describe, expect, test } from "bun:test";
import { commandFrom, parseEnvPairs, versionOrLatest } from "../../../src/cli/arguments.ts";
import { setGlobalOptions } from "../../../src/cli/context.ts";
import { defaultGlobalOptions } from "../../../src/cli/global-options.ts";
import { UsageError } from "../../../src/errors.ts";

describe("exec helpers", () => {
  test("the command is the remaining words joined by spaces", () => {
    expect(commandFrom(["ls", "-la", " /tmp "])).toBe("ls -la /tmp");
    expect(() => commandFrom([])).toThrow("No command provided. You must specify a command to execute.");
    expect(() => commandFrom(undefined)).toThrow(UsageError);
  });

  test("--env takes NAME=VALUE or NAME:VALUE, values may hold = and newlines", () => {
    expect(parseEnvPairs(["A=1", "B:two", "C=x=y", "D=a\nb", "E="])).toEqual({ A: "1", B: "two", C: "x=y", D: "a\nb", E: "" });
    expect(parseEnvPairs(undefined)).toEqual({});
    expect(() => parseEnvPairs(["=oops"])).toThrow('--env takes NAME=VALUE (got "=oops")');
  });

  test("without --version, boot and exec act on the latest tag of the destination", () => {
    setGlobalOptions(defaultGlobalOptions());
    expect(versionOrLatest()).toBe("latest");
    setGlobalOptions({ ...defaultGlobalOptions(), destination: "staging" });
    expect(versionOrLatest()).toBe("latest-staging");
    setGlobalOptions({ ...defaultGlobalOptions(), destination: "staging", version: "abc" });
    expect(versionOrLatest()).toBe("abc");
    setGlobalOptions(defaultGlobalOptions());
  });
});
