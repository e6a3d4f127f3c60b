/** The ACME manager's parts on their own, in-process: renewal times and backoff, HTTP-01 answers, the on-demand policy. */
import { expect, test } from "bun:test";
import { Http01Answers } from "../../proxy/acme/challenges.ts";
import { OnDemandPolicy } from "../../proxy/acme/on-demand.ts";
import { renewalTime, retryDelay } from "../../proxy/acme/renewal.ts";
import { Logger } from "../../proxy/logging.ts";

const DAY = 86_400_000;

test("renewal: a third of the lifetime before expiry, but never earlier than 30 days before", () => {
  expect(renewalTime({ notBefore: 0, notAfter: 90 * DAY })).toBe(60 * DAY);
  expect(renewalTime({ notBefore: 0, notAfter: 6 * DAY })).toBe(4 * DAY);
  expect(renewalTime({ notBefore: 0, notAfter: 365 * DAY })).toBe(335 * DAY);
});

test("retries back off from 2 min, doubling, up to 1 h", () => {
  expect([1, 2, 3, 4, 5, 6, 10].map((n) => retryDelay(n) / 60_000)).toEqual([2, 4, 8, 16, 32, 60, 60]);
  expect(retryDelay(3, 500, 1500)).toBe(1500);
});

test("HTTP-01: only the token of an order in flight is answered, and only until it is removed", () => {
  const answers = new Http01Answers();
  const path = "/.well-known/acme-challenge/tok";
  expect(Http01Answers.isChallengePath(path)).toBe(true);
  expect(Http01Answers.isChallengePath("/.well-known/other")).toBe(false);
  expect(answers.answer(path)).toBeUndefined();
  answers.set("tok", "tok.thumbprint");
  expect(answers.answer(path)).toBe("tok.thumbprint");
  expect(answers.answer("/.well-known/acme-challenge/other")).toBeUndefined();
  answers.delete("tok");
  expect(answers.answer(path)).toBeUndefined();
});

function policy(answer: (pathAndQuery: string) => Response) {
  const asked: string[] = [];
  const lines: string[] = [];
  let now = 1_000_000;
  const p = new OnDemandPolicy({
    logger: new Logger((l) => lines.push(l)),
    localRequest: async (host, pathAndQuery) => {
      asked.push(`${host} ${pathAndQuery}`);
      return answer(pathAndQuery);
    },
    now: () => now,
  });
  return { p, asked, lines, advance: (ms: number) => (now += ms) };
}

test("on-demand: the app's policy path gets ?host= and only a 200 allows", async () => {
  const c = policy((q) => new Response(q.includes("good.test") ? "ok" : "no", { status: q.includes("good.test") ? 200 : 403 }));
  expect(await c.p.allows("good.test", "/allow?x=1")).toBe(true);
  expect(await c.p.allows("bad.test", "/allow?x=1")).toBe(false);
  expect(c.asked).toEqual(["good.test /allow?host=good.test&x=1", "bad.test /allow?host=bad.test&x=1"]);
  expect(c.lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ msg: "TLS on-demand check denied host", host: "bad.test", status: 403, body: "no" })]);
});

test("on-demand: a denied host counts as denied for 10 s, then may be asked again", async () => {
  const c = policy(() => new Response("", { status: 404 }));
  expect(await c.p.allows("x.test", "/allow")).toBe(false);
  expect(c.p.recentlyDenied("x.test")).toBe(true);
  expect(c.p.recentlyDenied("y.test")).toBe(false);
  c.advance(9_999);
  expect(c.p.recentlyDenied("x.test")).toBe(true);
  c.advance(1);
  expect(c.p.recentlyDenied("x.test")).toBe(false);
});

test("on-demand: a policy path without a way to send it through the proxy allows nothing", async () => {
  const p = new OnDemandPolicy({ logger: new Logger(() => {}), now: () => 0 });
  expect(await p.allows("x.test", "/allow")).toBe(false);
});
