import { describe, expect, test } from "bun:test";
import { commandLine, shellJoin, shellQuote } from "../../../src/ssh/shell-quote.ts";

describe("shellQuote", () => {
  test("leaves plain words alone", () => {
    for (const w of ["docker", "--name=app-web", "a/b.c", "user@host:22", "50%", "x+y,z"]) expect(shellQuote(w)).toBe(w);
  });

  test("single-quotes anything else, with '\\'' for quotes", () => {
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$HOME")).toBe("'$HOME'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("a\nb")).toBe("'a\nb'");
    expect(shellQuote("*")).toBe("'*'");
    expect(shellQuote("héllo")).toBe("'héllo'");
  });

  test("joins argv; a string command is passed through", () => {
    expect(shellJoin(["echo", "a b", "c"])).toBe("echo 'a b' c");
    expect(commandLine(["sh", "-c", "echo $PWD | cat"])).toBe("sh -c 'echo $PWD | cat'");
    expect(commandLine("docker ps | grep app")).toBe("docker ps | grep app");
  });

  test("round-trips through a real shell", async () => {
    const words = ["plain", "with space", "it's", "$HOME", "`x`", "a\\b", '"q"', "", "new\nline", "!bang", "*"];
    const proc = Bun.spawn(["sh", "-c", `printf '%s\\0' ${shellJoin(words)}`], { stdout: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(out.split("\0").slice(0, -1)).toEqual(words);
  });
});
