import { describe, expect, test } from "bun:test";
import { any, append, argumentize, chain, combine, docker, escape, optionize, pipe, render, sensitive, shell, substitute, write, xargs } from "../../../src/commands/shell.ts";

describe("escape (Kamal's escape_shell_value)", () => {
  const cases: [string, string][] = [
    ["foo", '"foo"'],
    ["$PWD", '"\\$PWD"'],
    ["${PWD}", '"${PWD}"'],
    ["$(x)", '"\\$(x)"'],
    ["a`b`", '"a\\`b\\`"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["line\nbreak\ttab", '"line\\nbreak\\ttab"'],
    ["\x1b[0m\x07\x01\x7f", '"\\e[0m\\a\\x01\\x7F"'],
    ["#{interp} #$x #@y #plain", '"\\#{interp} \\#\\$x \\#@y #plain"'],
    ["%", '"%"'],
    ["more-secret'\"", '"more-secret\'\\""'],
    // non-ASCII runs are left raw, each ASCII run quoted on its own
    ["héllo wörld", '"h"é"llo w"ö"rld"'],
    ["日本", "日本"],
    // Kamal scans runs of the empty string and finds none: nothing, not ""
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => expect(escape(input)).toBe(expected));
  }
  test("numbers and booleans are stringified", () => {
    expect(escape(3306)).toBe('"3306"');
    expect(escape(true)).toBe('"true"');
  });
});

describe("argumentize", () => {
  test('hash: key="value", false, blank', () => {
    expect(render(argumentize("--env", { A: "b", B: false, C: "", D: null, E: 3 }))).toBe('--env A="b" --env B=false --env C --env D --env E="3"');
  });
  test("list of strings: unquoted", () => {
    expect(render(argumentize("--volume", ["/a:/b", "$PWD/c:/d"]))).toBe("--volume /a:/b --volume $PWD/c:/d");
  });
  test("sensitive values are redacted in logs only", () => {
    const argv = argumentize("--build-arg", { TOKEN: "s3cret" }, { sensitive: true });
    expect(render(argv)).toBe('--build-arg TOKEN="s3cret"');
    expect(render(argv, { redact: true })).toBe("--build-arg TOKEN=[REDACTED]");
  });
  test("nothing for nothing", () => {
    expect(argumentize("--env", undefined)).toEqual([]);
  });
});

describe("optionize", () => {
  test("space separated, true bare, arrays repeat", () => {
    expect(render(optionize({ mount: "somewhere", "cap-add": true, "add-host": ["a:1", "b:2"], cpus: 1.5 }))).toBe('--mount "somewhere" --cap-add --add-host "a:1" --add-host "b:2" --cpus "1.5"');
  });
  test("with =, false kept as a value, undefined dropped", () => {
    expect(render(optionize({ tls: true, "tls-redirect": false, x: undefined, host: ["a", "b"] }, { separator: "=" }))).toBe('--tls --tls-redirect="false" --host="a" --host="b"');
  });
});

describe("combinators", () => {
  test("combine/chain/pipe/any/append/write drop empty parts", () => {
    expect(render(combine(["a", "1"], null, ["b"], undefined, false, []))).toBe("a 1 && b");
    expect(render(chain(["a"], ["b"]))).toBe("a ; b");
    expect(render(pipe(["a"], "b", ["c"]))).toBe("a | b | c");
    expect(render(any(["a"], ["b"]))).toBe("a || b");
    expect(render(append(["echo", '"x"'], ".kamal/log"))).toBe('echo "x" >> .kamal/log');
    expect(render(write(["echo", '"x"'], "file"))).toBe('echo "x" > file');
  });
  test("substitute and xargs", () => {
    expect(substitute(["cat", "f"], ["x"])).toBe("$(cat f x)");
    expect(render(xargs(docker("stop", "-t", "10")))).toBe("xargs docker stop -t 10");
  });
  test("docker drops empty args", () => {
    expect(render(docker("ps", undefined, ["-q"], false, null))).toBe("docker ps -q");
  });
  test("shell wraps in sh -c with '\\'' escaping", () => {
    expect(render(shell(chain(["docker", "ps", "--format", "'{{.ID}}'"], ["echo", "it's"])))).toBe("sh -c 'docker ps --format '\\''{{.ID}}'\\'' ; echo it'\\''s'");
  });
  test("shell and substitute keep secrets redactable", () => {
    const argv = shell(["docker", "login", "-p", sensitive('"pw"')]);
    expect(render(argv)).toBe("sh -c 'docker login -p \"pw\"'");
    expect(render(argv, { redact: true })).toBe("sh -c 'docker login -p [REDACTED]'");
    const sub = substitute(["echo", sensitive("x", "[HIDDEN]")]);
    expect(render([sub])).toBe("$(echo x)");
    expect(render([sub], { redact: true })).toBe("$(echo [HIDDEN])");
  });
});
