/** Env file content as uploaded before `docker run`. */
import { describe, expect, test } from "bun:test";
import { ContainerEnv, escapeEnvFileValue } from "../../../src/config/env-model.ts";
import { Secret, type Secrets } from "../../../src/config/secrets.ts";

function envFile(secretKeys: string[], values: Record<string, string>): string {
  const secrets = { get: (name: string) => new Secret(name, values[name] ?? "") } as unknown as Secrets;
  return new ContainerEnv({ clear: {}, secretKeys }, secrets).envFileContent();
}

describe("env file content", () => {
  test("KEY=VALUE lines in declaration order, aliases resolved", () => {
    expect(envFile(["RAILS_MASTER_KEY", "DB_PASSWORD:MYSQL_PASSWORD"], { RAILS_MASTER_KEY: "456", MYSQL_PASSWORD: "pw" })).toBe("RAILS_MASTER_KEY=456\nDB_PASSWORD=pw\n");
  });

  test("an empty env is a single newline", () => {
    expect(envFile([], {})).toBe("\n");
  });

  test("escaping: newlines and backslashes escaped, quotes and # kept, non-ASCII raw", () => {
    expect(escapeEnvFileValue("line1\nline2")).toBe("line1\\nline2");
    expect(escapeEnvFileValue('say "hi" #{x} \\ done')).toBe('say "hi" #{x} \\\\ done');
    expect(escapeEnvFileValue("tab\there\x1b\x01")).toBe("tab\\there\\e\\x01");
    expect(escapeEnvFileValue("日本語\n(パスワード)")).toBe("日本語\\n(パスワード)");
    expect(escapeEnvFileValue("$PWD ${X} `x`")).toBe("$PWD ${X} `x`");
    expect(envFile(["PEM"], { PEM: "-----BEGIN KEY-----\nabc\n-----END KEY-----\n" })).toBe("PEM=-----BEGIN KEY-----\\nabc\\n-----END KEY-----\\n\n");
  });
});
