/**
 * The request log line is written out as a string for speed; it must stay the JSON the attribute object
 * gave before (same keys, order and escaping), which these tests check against JSON.stringify itself.
 */
import { expect, test } from "bun:test";
import { STATUS_CODES } from "node:http";
import { RequestContext } from "../../proxy/context.ts";
import { isoNow, jsonString, type RequestLogInput, requestLogAttrs, requestLogLine } from "../../proxy/logging.ts";
import { STATUS_TEXT } from "../../proxy/status-text.ts";

const TRICKY = ["", "plain", 'a "quoted" word', "back\\slash", "tab\there", "nl\nx", "\u0000\u001f\u007f", "é ü ß", "emoji 😀", "lone \ud800 high", "lone \udc00 low", "\u2028\u2029", "</script>"];

test("jsonString writes what JSON.stringify writes", () => {
  for (const s of TRICKY) expect(jsonString(s)).toBe(JSON.stringify(s));
});

/** The old way: the attribute object behind time, level and msg, stringified. */
const viaObject = (i: RequestLogInput, time: string) => JSON.stringify({ time, level: "INFO", msg: "Request", ...requestLogAttrs(i) }) + "\n";
/** Duration is measured when the line is built, so two builds differ there and only there. */
const sameDuration = (line: string) => line.replace(/"duration":\d+/, '"duration":0');

function input(headers: Record<string, string>, url: string, extra: Partial<RequestLogInput> = {}, method = "GET", body?: string): RequestLogInput {
  const req = new Request(url, { method, headers, body });
  const ctx = new RequestContext(req, { remoteAddr: "192.0.2.7", remotePort: 50123, tls: url.startsWith("https"), port: 80 });
  ctx.service = "web";
  ctx.target = "web-1:3000";
  ctx.headers.set("x-request-id", "rid-1");
  return { ctx, status: 200, respBytes: 1234, respHeaders: new Headers({ "content-type": "text/html" }), logRequestHeaders: [], logResponseHeaders: [], ...extra };
}

test("the string-built line is byte for byte the JSON of the attribute object", () => {
  const time = isoNow();
  const cases = [
    input({ host: "example.com", "user-agent": "curl/8" }, "http://example.com/a/b?x=1&y=%22"),
    input({ host: "example.com:8080", "content-type": "text/plain", "content-length": "5" }, "https://example.com:8080/up", {}, "POST", "hello"),
    input({ host: "x", "user-agent": 'a "quoted" \\ word\tand é', "x-forwarded-for": "203.0.113.9" }, "http://x/%E2%82%AC?q=" + encodeURIComponent('"\\')),
    input({ host: "x" }, "http://x/", { status: 499, respBytes: 0, respHeaders: new Headers() }),
    input({ host: "x" }, "http://x/", {}, "POST", "streamed"),
  ];
  // Fields a header cannot carry (control characters, lone surrogates) still go through the escaping.
  const odd = input({ host: "x" }, "http://x/");
  odd.ctx.service = TRICKY.join("|");
  odd.ctx.remoteAddr = TRICKY.slice().reverse().join("|");
  cases.push(odd);
  for (const c of cases) {
    const line = requestLogLine(c, time);
    expect(sameDuration(line)).toBe(sameDuration(viaObject(c, time)));
    expect(JSON.parse(line).msg).toBe("Request");
  }
});

test("services that log extra headers keep the object's key order, even where a header names a fixed field", () => {
  const c = input({ host: "x", "content-type": "text/plain", "x-custom": "v" }, "http://x/", {
    logRequestHeaders: ["X-Custom", "Content-Type", "x-custom"],
    logResponseHeaders: ["Cache-Control"],
    respHeaders: new Headers({ "cache-control": "no-store" }),
  });
  const line = requestLogLine(c, isoNow());
  expect(sameDuration(line)).toBe(sameDuration(viaObject(c, JSON.parse(line).time)));
  expect(Object.keys(JSON.parse(line)).slice(-2)).toEqual(["req_x_custom", "resp_cache_control"]);
});

test("isoNow is the current time in toISOString's format", () => {
  const before = Date.now();
  const t = isoNow();
  expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(Date.parse(t)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(t)).toBeLessThanOrEqual(Date.now());
});

test("the proxy's reason phrases are node:http's (the module is no longer loaded for them)", () => {
  expect({ ...STATUS_TEXT }).toEqual({ ...STATUS_CODES } as Record<number, string>);
});

test("Kamal's default logged headers take the string path and give the object's line byte for byte", () => {
  const kamal = ["Cache-Control", "Last-Modified", "User-Agent"];
  const cases = [
    input({ host: "x", "cache-control": "no-cache", "user-agent": 'ua "q"' }, "http://x/a?b=1", { logRequestHeaders: kamal }),
    input({ host: "x" }, "http://x/", { logRequestHeaders: kamal, logResponseHeaders: ["X-Runtime", "Content-Type"], respHeaders: new Headers({ "x-runtime": "0.1", "content-type": "text/html" }) }),
  ];
  for (const c of cases) {
    const line = requestLogLine(c, isoNow());
    expect(sameDuration(line)).toBe(sameDuration(viaObject(c, JSON.parse(line).time)));
  }
  expect(JSON.parse(requestLogLine(cases[0]!, isoNow()))).toMatchObject({ req_cache_control: "no-cache", req_last_modified: "", req_user_agent: 'ua "q"' });
});
