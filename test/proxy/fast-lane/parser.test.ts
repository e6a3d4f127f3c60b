/**
 * The response-stream parser the fast-lane tests judge the proxy with: it must accept exactly the
 * well-framed responses, so a test cannot pass on a stream a real client would misread.
 */
import { expect, test } from "bun:test";
import { parseResponses } from "./support.ts";

test("Content-Length, chunked (extension, trailers), HEAD, 204, 304 and interim heads in one stream", () => {
  const stream =
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc" +
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nde\r\n1\r\nf\r\n0\r\nX-T: v\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" +
    "HTTP/1.1 204 No Content\r\n\r\n" +
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" +
    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  const p = parseResponses(stream, ["GET", "GET", "HEAD", "GET", "GET", "GET"], false);
  expect(p.error).toBeUndefined();
  expect(p.rest).toBe("");
  expect(p.responses.map((r) => [r.status, r.body, r.framing])).toEqual([
    [200, "abc", "length"],
    [200, "def", "chunked"],
    [200, "", "none"],
    [204, "", "none"],
    [304, "", "none"],
    [200, "", "chunked"],
  ]);
  expect(p.responses[1]!.trailers).toEqual([["x-t", "v"]]);
  expect(p.responses[5]!.interim).toEqual([103]);
});

test("incomplete bodies are not responses; close-delimited ones only once the connection closed", () => {
  expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", ["GET"], true).responses).toEqual([]);
  expect(parseResponses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", ["GET"], true).responses).toEqual([]);
  expect(parseResponses("HTTP/1.1 200 OK\r\n\r\nabc", ["GET"], false).responses).toEqual([]);
  expect(parseResponses("HTTP/1.1 200 OK\r\n\r\nabc", ["GET"], true).responses.map((r) => [r.body, r.framing])).toEqual([["abc", "close"]]);
});

test("framing errors are reported, not glossed over", () => {
  expect(parseResponses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", ["GET"], false).error).toContain("chunk size");
  expect(parseResponses("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", ["GET"], false).error).toContain("CRLF");
  expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naXYZ\r\n\r\n", ["GET", "GET"], false).error).toContain("status line");
  expect(parseResponses("HTTP/1.1 200 OK\r\nBroken\r\n\r\n", ["GET"], false).error).toContain("header line");
});
