/**
 * The fast lane's request parser on its own: what it takes, and what it leaves to the chain's full parser.
 */
import { expect, test } from "bun:test";
import { parseRequestHead } from "../../../proxy/fast/request-head.ts";

const parse = (text: string) => parseRequestHead(Buffer.from(text, "latin1"));

test("a plain GET: names lowercased (common and other spellings), values trimmed, path and query split", () => {
  const head = parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  curl/8 \t\r\nX-Odd-Name: v\r\naccept: */*\r\n\r\n");
  expect(head).toMatchObject({
    method: "GET",
    target: "/a/b?x=1",
    path: "/a/b",
    query: "x=1",
    host: "example.com",
    close: false,
    names: ["host", "user-agent", "x-odd-name", "accept"],
    values: ["example.com", "curl/8", "v", "*/*"],
  });
});

test("Connection: close is seen in a list; an upgrade or a body goes to the chain", () => {
  expect(parse("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n")).toMatchObject({ method: "HEAD", close: true });
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, upgrade\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")).toBe("other");
});

test("a bare CR or LF, in a header line or in the request target, goes to the chain", () => {
  expect(parse("GET /a\nb HTTP/1.1\r\nHost: x\r\n\r\n")).toBe("other");
  expect(parse("GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n")).toBe("other");
});

test("an incomplete head waits; a malformed name, an obs-fold line or a missing Host go to the chain", () => {
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\n")).toBe("incomplete");
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\nX-A: 1\r\n\r\n")).toBe("other");
  expect(parse("GET / HTTP/1.1\r\n: v\r\nHost: x\r\n\r\n")).toBe("other");
});
