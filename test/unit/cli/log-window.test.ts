import { describe, expect, test } from "bun:test";
import { logWindow } from "../../../src/cli/arguments.ts";

describe("--lines and --since of app logs / accessory logs", () => {
  test("numbers and docker's time forms pass", () => {
    expect(logWindow({ lines: "200", since: "10m" })).toEqual({ lines: 200, since: "10m" });
    expect(logWindow({ since: "2026-01-01T00:00:00" })).toEqual({ lines: undefined, since: "2026-01-01T00:00:00" });
    expect(logWindow({ since: "1733300000.5" }).since).toBe("1733300000.5");
  });

  test("anything that would be pasted into the remote shell as more than a value is refused", () => {
    expect(() => logWindow({ lines: "10; rm -rf /" })).toThrow('--lines takes a number (got "10; rm -rf /")');
    expect(() => logWindow({ lines: "-5" })).toThrow("--lines takes a number");
    expect(() => logWindow({ since: "1h $(reboot)" })).toThrow("--since takes a duration or a timestamp");
    expect(() => logWindow({ since: "" })).toThrow("--since takes a duration or a timestamp");
  });
});
