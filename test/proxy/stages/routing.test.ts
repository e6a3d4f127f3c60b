/**
 * Routing, ACME answers and the service at the end of the chain, on a real router filled by real
 * deploys; the targets are answered in memory, so no port is opened.
 */
import { afterEach, expect, test } from "bun:test";
import { AcmeManager } from "../../../proxy/acme/manager.ts";
import { type AcmeAnswers, withAcme } from "../../../proxy/stages/acme.ts";
import { compose, type Handler } from "../../../proxy/stages/compose.ts";
import { withRouting } from "../../../proxy/stages/route.ts";
import { serveService } from "../../../proxy/stages/service.ts";
import { contextFor, InMemoryProxy } from "./support.ts";

// Each target answers with its own address and the path and query it was asked for.
const echo = (req: Request) => {
  const url = new URL(req.url);
  return new Response(`${url.host} ${url.pathname}${url.search}`);
};

let proxy: InMemoryProxy;
afterEach(() => proxy?.stop());

const NO_ACME: AcmeAnswers = { intercept: () => undefined };

const routed = (acme: AcmeAnswers = NO_ACME): Handler => compose([withRouting(proxy.router), withAcme(acme)], serveService);

test("no service for the host: the 404 page, and the later stages never run", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("web", "app-1:3000", { hosts: ["a.test"] });
  let asked = 0;
  const chain = compose([withRouting(proxy.router)], () => {
    asked++;
    return new Response("x");
  });
  const res = (await chain(contextFor("http://b.test/", { host: "b.test" })))!;
  expect(res.status).toBe(404);
  expect(asked).toBe(0);
});

test("the request reaches the target of the service its host routes to", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("a", "app-a:3000", { hosts: ["a.test"] });
  await proxy.deploy("b", "app-b:3000", { hosts: ["b.test"] });
  const ctx = contextFor("http://b.test/p?q=1", { host: "b.test" });
  const res = (await routed()(ctx))!;
  expect(await res.text()).toBe("app-b:3000 /p?q=1");
  expect(ctx.matched?.name).toBe("b");
  expect(ctx.service).toBe("b");
});

test("a prefix service with strip_prefix sees the path without its prefix; the log keeps the full path", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("api", "app-api:3000", { hosts: ["a.test"], path_prefixes: ["/api"], strip_prefix: true });
  const ctx = contextFor("http://a.test/api/users?x=2", { host: "a.test" });
  const res = (await routed()(ctx))!;
  expect(await res.text()).toBe("app-api:3000 /users?x=2");
  expect(ctx.matchedPrefix).toBe("/api");
  expect(ctx.path).toBe("/api/users");
});

test("the service's extra log headers are put on the context for the request log", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("web", "app-1:3000", {}, { log_request_headers: ["X-Trace"], log_response_headers: ["Cache-Control"] });
  const ctx = contextFor("http://a.test/", { host: "a.test" });
  await (await routed()(ctx))!.text();
  expect(ctx.logRequestHeaders).toEqual(["X-Trace"]);
  expect(ctx.logResponseHeaders).toEqual(["Cache-Control"]);
});

test("an ACME answer is served instead of the service; an on-demand wait that ends in nothing goes on to the service", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("web", "app-1:3000", { hosts: ["a.test"] });
  const answering: AcmeAnswers = { intercept: (ctx) => (ctx.path === "/.well-known/acme-challenge/t" ? new Response("key-authorization") : undefined) };
  expect(await (await routed(answering)(contextFor("http://a.test/.well-known/acme-challenge/t", { host: "a.test" })))!.text()).toBe("key-authorization");
  expect(await (await routed(answering)(contextFor("http://a.test/other", { host: "a.test" })))!.text()).toBe("app-1:3000 /other");
  const waited: string[] = [];
  const waiting: AcmeAnswers = {
    intercept: async (ctx) => {
      waited.push(ctx.matched!.name);
      return undefined;
    },
  };
  expect(await (await routed(waiting)(contextFor("http://a.test/w", { host: "a.test" })))!.text()).toBe("app-1:3000 /w");
  expect(waited).toEqual(["web"]);
});

test("with the real certificate manager, a challenge path it holds no token for goes to the service", async () => {
  proxy = new InMemoryProxy(echo);
  await proxy.deploy("web", "app-1:3000", { hosts: ["a.test"] });
  const acme = new AcmeManager({ logger: proxy.log.logger, defaultCachePath: "/nonexistent", onChange: () => {}, localRequest: async () => new Response(null, { status: 500 }) });
  const res = (await routed(acme)(contextFor("http://a.test/.well-known/acme-challenge/unknown", { host: "a.test" })))!;
  expect(await res.text()).toBe("app-1:3000 /.well-known/acme-challenge/unknown");
  acme.stop();
});
