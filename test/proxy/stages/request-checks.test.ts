/** The first stage: ambiguous requests get 400 and never reach the stages after it. */
import { expect, test } from "bun:test";
import { compose } from "../../../proxy/stages/compose.ts";
import { withRequestChecks } from "../../../proxy/stages/request-checks.ts";
import { contextFor, recordingLogger } from "./support.ts";

function chain() {
  const log = recordingLogger();
  let reached = 0;
  const handler = compose([withRequestChecks(log.logger)], () => {
    reached++;
    return new Response("app");
  });
  return { handler, log, reached: () => reached };
}

// Bun joins repeated header lines with ", " before the handler sees them; these are what two lines become.
for (const [name, headers, reason] of [
  ["two Host headers", { host: "a.test, b.test" }, "more than one Host header"],
  ["two Content-Length headers", { host: "a.test", "content-length": "3, 3" }, "more than one Content-Length header"],
] as const) {
  test(`${name}: 400 with Connection: close, logged as a bad request, the later stages never run`, async () => {
    const c = chain();
    const res = (await c.handler(contextFor("http://a.test/", headers)))!;
    expect(res.status).toBe(400);
    expect(res.headers.get("connection")).toBe("close");
    expect(c.reached()).toBe(0);
    expect(c.log.lines()).toEqual([expect.objectContaining({ msg: "Bad request", reason, remote_addr: "192.0.2.7" })]);
  });
}

test("an ordinary request passes through without a log line of its own", async () => {
  const c = chain();
  const res = (await c.handler(contextFor("http://a.test/", { host: "a.test", "content-length": "3" })))!;
  expect(await res.text()).toBe("app");
  expect(c.reached()).toBe(1);
  expect(c.log.lines()).toEqual([]);
});
