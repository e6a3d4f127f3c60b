/**
 * The proxy's idle paths run no regular expressions (see proxy/chars.ts for why). Each loop
 * that replaced one must answer exactly as the regex did: checked here against the regex itself, on
 * hand-picked edge cases and on many random strings over an alphabet of the characters that matter.
 */
import { describe, expect, test } from "bun:test";
import { hasUnusualChar, isEventStream, isRewrittenTarget, isToken } from "../../proxy/fast/http-chars.ts";
import { healthCheckUrl } from "../../proxy/health-check.ts";
import { findHeadEnd, statusOf } from "../../proxy/health-probe.ts";
import { jsonString } from "../../proxy/logging.ts";
import { isTargetPattern } from "../../proxy/options.ts";
import { compileTemplate } from "../../proxy/template.ts";

/** A small seeded generator (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random strings of up to `maxLength` characters drawn from `alphabet`. */
function strings(alphabet: string, count: number, maxLength = 12, seed = 1): string[] {
  const next = random(seed);
  const chars = [...alphabet];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    const length = Math.floor(next() * (maxLength + 1));
    for (let j = 0; j < length; j++) s += chars[Math.floor(next() * chars.length)];
    out.push(s);
  }
  return out;
}

/** Every string where the loop and the regex disagree (expected: none). */
function disagreements(inputs: string[], loop: (s: string) => unknown, regex: (s: string) => unknown): string[] {
  return inputs.filter((s) => loop(s) !== regex(s)).map((s) => JSON.stringify(s));
}

describe("request head characters", () => {
  test("isToken is /^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$/", () => {
    const regex = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
    const edge = ["", "a", "X-Request-Id", "a b", "a:b", "é", "(", ")", ",", "/", "[", "]", "{", "}", '"', "\x7f", "\0", "Ā"];
    const inputs = [...edge, ...strings("aZ09!#$%&'*+-.^_`|~ :;,()/[]{}\"\\\t\x7f\x80é", 20_000)];
    expect(disagreements(inputs, isToken, (s) => regex.test(s))).toEqual([]);
  });

  test("hasUnusualChar is /[^\\x20-\\x7e\\t\\r\\n]/", () => {
    const regex = /[^\x20-\x7e\t\r\n]/;
    const edge = ["", "GET / HTTP/1.1\r\nHost: a\r\n", "\0", "\x1f", "\x7f", "\x80", "\xff", "é", "\t", "\v", "\f", "~", " "];
    const inputs = [...edge, ...strings(" ~aZ\t\r\n\0\x01\x1f\x7f\x80\xa0\xffĀ\u2028", 20_000)];
    expect(disagreements(inputs, hasUnusualChar, (s) => regex.test(s))).toEqual([]);
  });

  test("isRewrittenTarget is /[\"'<>\\\\^`{|}]|\\/\\.\\.?(?:\\/|\\?|$)/", () => {
    const regex = /["'<>\\^`{|}]|\/\.\.?(?:\/|\?|$)/;
    const edge = ["/", "/a", "/.", "/..", "/...", "/./a", "/../a", "/.a", "/..a", "/a/.", "/a/..", "/.?x", "/..?x", "/.well-known/x", "/a..b", "/a/./", "/%2e/", "/a?b=/..", "/a|b"];
    const inputs = [...edge, ...strings("/.?a\"'<>\\^`{|}#%", 30_000, 10)];
    expect(disagreements(inputs, isRewrittenTarget, (s) => regex.test(s))).toEqual([]);
  });
});

test("isEventStream is /^text\\/event-stream\\s*(;|$)/i", () => {
  const regex = /^text\/event-stream\s*(;|$)/i;
  const edge = [
    "",
    "text/event-stream",
    "TEXT/Event-Stream",
    "text/event-stream;charset=utf-8",
    "text/event-stream ; x",
    "text/event-stream\t",
    "text/event-streamx",
    "text/event-stream x",
    "text/event-strea",
    " text/event-stream",
    "text/event-stream\u00a0;",
    "text/event-stream\u2028",
    "text/event-stream\u200b",
  ];
  const next = random(11);
  const tails = strings(" \t\n\v\f\r\u00a0\u1680\u2000\u200a\u200b\u2028\u3000\ufeff;ax", 20_000, 5, 5);
  const heads = ["text/event-stream", "Text/Event-Stream", "text/event-strean", "text/plain"];
  const inputs = [...edge, ...tails.map((t) => heads[Math.floor(next() * heads.length)] + t)];
  expect(disagreements(inputs, isEventStream, (s) => regex.test(s))).toEqual([]);
});

describe("health check heads", () => {
  test("findHeadEnd finds what /\\r?\\n\\r?\\n/g finds from the same offset", () => {
    const asRegex = (s: string, from: number) => {
      const re = /\r?\n\r?\n/g;
      re.lastIndex = from;
      const m = re.exec(s);
      return m ? `${m.index}+${m[0].length}` : "none";
    };
    const asLoop = (s: string, from: number) => {
      const m = findHeadEnd(s, from);
      return m ? `${m.index}+${m.length}` : "none";
    };
    const inputs = ["HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\n\n", "HTTP/1.1 200 OK\r\n\n", "HTTP/1.1 200 OK\n\r\n", "a\r\nb\r\n\r\nbody", "\r\n\r\n", "\n\n", "\r\r\n\n", ...strings("\r\nab", 20_000, 10)];
    const bad: string[] = [];
    for (const s of inputs) for (let from = 0; from <= s.length; from++) if (asLoop(s, from) !== asRegex(s, from)) bad.push(`${JSON.stringify(s)} from ${from}`);
    expect(bad).toEqual([]);
  });

  test("statusOf reads what /^HTTP\\/1\\.\\d (\\d{3})(?:[ \\t\\r\\n]|$)/ reads", () => {
    const regex = /^HTTP\/1\.\d (\d{3})(?:[ \t\r\n]|$)/;
    const asRegex = (s: string) => {
      const m = regex.exec(s)?.[1];
      return m === undefined ? undefined : Number(m);
    };
    const edge = [
      "HTTP/1.1 200 OK\r\n",
      "HTTP/1.0 204",
      "HTTP/1.1 200",
      "HTTP/1.1 2000",
      "HTTP/1.1 20 OK",
      "HTTP/2 200 OK",
      "HTTP/1.x 200",
      "HTTP/1.1  200",
      "HTTP/1.1 200\tOK",
      "HTTP/1.1 200\n",
      "http/1.1 200 OK",
      "",
    ];
    const prefixes = ["HTTP/1.1 ", "HTTP/1.0 ", "HTTP/1.a ", "HTTP/1.1", "HTTP/11 "];
    const next = random(7);
    const rest = strings("0123456789 \t\r\nOKx", 5_000, 6, 3);
    const inputs = [...edge, ...rest.map((r) => prefixes[Math.floor(next() * prefixes.length)] + r)];
    expect(disagreements(inputs, statusOf, asRegex)).toEqual([]);
  });
});

test("a health-check port replaces the target's own port as /:\\d+$/ found it", () => {
  // Targets the URL parser refuses are refused either way.
  const orInvalid = (f: (t: string) => string) => (t: string) => {
    try {
      return f(t);
    } catch {
      return "invalid";
    }
  };
  const byRegex = orInvalid((target) => new URL("/up", `http://${target.replace(/:\d+$/, "")}:9000/`).toString());
  const byLoop = orInvalid((target) => healthCheckUrl(target, { path: "/up", port: 9000 }));
  const edge = ["web:3000", "web", "10.0.0.1:80", "web:", "web:abc", "web:30a0", "a:1:2", "[::1]:3000"];
  const inputs = [...edge, ...strings("ab1:9.", 5_000, 8, 9)];
  expect(disagreements(inputs, byLoop, byRegex)).toEqual([]);
  expect(byLoop("web:3000")).toBe("http://web:9000/up");
});

test("isTargetPattern is kamal-proxy's /^\\w[-_.\\w+]+(:\\d+)?$/", () => {
  const regex = /^\w[-_.\w+]+(:\d+)?$/;
  const edge = ["", "a", "ab", "web:3000", "web-1.internal:80", "10.0.0.1:3000", "a:", ":80", "a:b", "ab:1:2", "-ab", "_ab", "a+b", "[::1]:80", "a b", "é1"];
  const inputs = [...edge, ...strings("aZ09_-.+:é /", 30_000, 10)];
  expect(disagreements(inputs, isTargetPattern, (s) => regex.test(s))).toEqual([]);
});

test('jsonString escapes exactly what /["\\\\\\u0000-\\u001f\\ud800-\\udfff]/ sends to JSON.stringify', () => {
  const regex = /["\\\u0000-\u001f\ud800-\udfff]/;
  const inputs = ["", "plain", 'say "hi"', "back\\slash", "tab\there", "\u001f", "\u007f", "é", "😀", "\ud800", "\udfff", ...strings('a"\\\t\n\u0000\u001f\u007fé\ud800\udc00😀', 20_000)];
  expect(disagreements(inputs, jsonString, (s) => (regex.test(s) ? JSON.stringify(s) : `"${s}"`))).toEqual([]);
  // Whatever the path, the result is the JSON of the string.
  for (const s of inputs.slice(0, 2_000)) expect(JSON.parse(jsonString(s))).toBe(s);
});

describe("error page templates", () => {
  // The template language as it was written with regexes, as the reference for the loops.
  const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
  const escapeByRegex = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

  test("fields are escaped as /[&<>\"']/g escaped them", () => {
    const tpl = compileTemplate("<p>{{ .Message }}</p>");
    const inputs = ["", "plain", "<script>alert('x')</script>", "a & b", 'q"q', "&amp;", ...strings("a<>&\"' é", 10_000)];
    const bad = inputs.filter((s) => tpl({ Message: s }) !== `<p>${escapeByRegex(s)}</p>`).map((s) => JSON.stringify(s));
    expect(bad).toEqual([]);
  });

  test("trim markers, if/else/end and fields parse as before", () => {
    const tpl = compileTemplate("{{- .Status -}}|{{if   .Message}}[{{ .Message }}]{{else}}none{{end}}|{{ /* note */ }}{{-if .X -}}x{{- end -}}");
    expect(tpl({ Status: 502, Message: "down" })).toBe("502|[down]|");
    expect(tpl({ Status: 504, Message: "", X: "1" })).toBe("504|none|x");
    // \w is letters, digits and the underscore.
    expect(compileTemplate("{{ .Request_Id9 }}")({ Request_Id9: "r1" })).toBe("r1");
  });

  test("what the regexes refused is still refused", () => {
    for (const source of ["{{ Message }}", "{{ .Mes sage }}", "{{ .Mes-sage }}", "{{ ifx .A }}{{ end }}", "{{ if.A }}{{ end }}", "{{ if . }}{{ end }}", "{{ . }}", "{{ .é }}"])
      expect(() => compileTemplate(source), source).toThrow(/template:/);
  });
});
