import { describe, expect, test } from "bun:test";
import { ErbError, renderErb } from "../../../src/config/erb.ts";

const env = { HOST: "db.example.com", EMPTY: "" };
const render = (src: string, e: Record<string, string | undefined> = env) => renderErb(src, { env: e, dockerArch: "amd64" }).text;

describe("supported ERB forms", () => {
  test("ENV lookups", () => {
    expect(render('a: <%= ENV["HOST"] %>')).toBe("a: db.example.com");
    expect(render("a: <%= ENV['HOST'] %>")).toBe("a: db.example.com");
    expect(render('a: <%= ENV["MISSING"] %>')).toBe("a: ");
    expect(render('a: <%= ENV.fetch("HOST") %>')).toBe("a: db.example.com");
    expect(render('a: <%= ENV.fetch("MISSING", "fallback") %>')).toBe("a: fallback");
    expect(render('a: <%= ENV.fetch("HOST", "fallback") %>')).toBe("a: db.example.com");
  });
  test("|| takes the first non-nil value (an empty string is kept, as in Ruby)", () => {
    expect(render('a: <%= ENV["MISSING"] || "d" %>')).toBe("a: d");
    expect(render('a: <%= ENV["HOST"] || "d" %>')).toBe("a: db.example.com");
    expect(render('a: <%= ENV["EMPTY"] || "d" %>')).toBe("a: ");
    expect(render('a: <%= ENV["A"] || ENV["B"] || "c" %>')).toBe("a: c");
  });
  test("string literals, comparisons and the docker_arch ternary of Kamal's fixtures", () => {
    expect(render('a: <%= "my-user" %>')).toBe("a: my-user");
    expect(render('a: <%= Kamal::Utils.docker_arch == "arm64" ? "amd64" : "arm64" %>')).toBe("a: arm64");
    expect(renderErb('a: <%= Kamal::Utils.docker_arch == "arm64" ? "amd64" : "arm64" %>', { env: {}, dockerArch: "arm64" }).text).toBe("a: amd64");
    expect(render('a: <%= ENV["KAMAL_DESTINATION"] == "prod" ? "x" : "y" %>', { KAMAL_DESTINATION: "prod" })).toBe("a: x");
    expect(render('a: <%= "it\\"s" %>')).toBe('a: it"s');
  });
  test("comments, <%% and trim mode", () => {
    expect(render("a: 1\n<%# a comment %>\nb: 2\n")).toBe("a: 1\n\nb: 2\n");
    expect(render("a: 1\n<%# a comment -%>\nb: 2\n")).toBe("a: 1\nb: 2\n");
    expect(render("a: 1\n  <%- # nothing -%>\nb: 2\n")).toBe("a: 1\nb: 2\n");
    expect(render("a: '<%% x %>'")).toBe("a: '<% x %>'");
    expect(render("x:\n  <%- if_none = 1 -%>\n".replace("if_none = 1", "# c"))).toBe("x:\n");
  });
  test("the line map points output lines back at the source", () => {
    const r = renderErb("a: 1\n<%# c -%>\n<%# d -%>\nb: <%= ENV['HOST'] %>\nc: 3\n", { env });
    expect(r.text).toBe("a: 1\nb: db.example.com\nc: 3\n");
    expect(r.lineMap.slice(0, 3)).toEqual([1, 4, 5]);
  });
});

describe("anything else is rejected, naming the line", () => {
  const cases: [string, number][] = [
    ["a: 1\nb: <%= `whoami` %>\n", 2],
    ["a: 1\n\n<% if ENV['X'] %>\nb: 2\n<% end %>\n", 3],
    ["a: <%= File.read('/etc/passwd') %>", 1],
    ["a: <%= %x(aws ecr get-login-password) %>", 1],
    ["a: <%= system('rm -rf /') %>", 1],
    ['a: <%= ENV["X"].strip %>', 1],
    ['a: <%= "#{ENV["X"]}" %>', 1],
    ["a: <%= ENV['X']", 1],
    ["a:\n  b: <%= 1 + 2 %>", 2],
  ];
  for (const [src, line] of cases) {
    test(JSON.stringify(src), () => {
      let error: unknown;
      try {
        render(src);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ErbError);
      expect((error as ErbError).line).toBe(line);
    });
  }
  test("ENV.fetch without a default fails when the variable is unset", () => {
    expect(() => render('a: <%= ENV.fetch("NOPE") %>')).toThrow("environment variable NOPE is not set");
  });
});
