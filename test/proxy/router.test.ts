/** Routing and deploy, through the real command line and real listeners. */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupScope, echoUpstream, onCleanup, startProxy, upstream } from "./helpers.ts";

cleanupScope();

test("with no services deployed, any request returns 404", async () => {
  const p = await startProxy();
  expect((await p.text("/")).status).toBe(404);
  expect((await p.text("/anything", { host: "example.com" })).status).toBe(404);
});

test("a service with no host serves any host with the target's body", async () => {
  const p = await startProxy();
  const up = upstream("first");
  expect((await p.deploy("web", up.addr)).code).toBe(0);
  for (const host of ["example.com", "other.org", "localhost"]) expect(await p.text("/", { host })).toMatchObject({ status: 200, body: "first" });
});

test("two targets are both served within four requests", async () => {
  const p = await startProxy();
  const a = upstream("a");
  const b = upstream("b");
  expect((await p.deploy("web", [a.addr, b.addr])).code).toBe(0);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await p.text("/")).body);
  expect([...seen].sort()).toEqual(["a", "b"]);
});

test("after remove, the host returns 404", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr, "--host=example.com");
  expect((await p.text("/", { host: "example.com" })).status).toBe(200);
  expect((await p.cli("remove", "web")).code).toBe(0);
  expect((await p.text("/", { host: "example.com" })).status).toBe(404);
});

test("hosts 1 and 2 are served, host 3 is 404 without a default service", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr, "--host=1.example.com,2.example.com");
  expect((await p.text("/", { host: "1.example.com" })).status).toBe(200);
  expect((await p.text("/", { host: "2.example.com" })).status).toBe(200);
  expect((await p.text("/", { host: "3.example.com" })).status).toBe(404);
});

test("redeploying with hosts [3,2] drops host 1", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr, "--host=1.example.com,2.example.com");
  await p.deploy("web", up.addr, "--host=3.example.com", "--host=2.example.com");
  expect((await p.text("/", { host: "1.example.com" })).status).toBe(404);
  expect((await p.text("/", { host: "2.example.com" })).status).toBe(200);
  expect((await p.text("/", { host: "3.example.com" })).status).toBe(200);
});

test("a host that no service lists is 404 without a default service", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr, "--host=example.com");
  expect((await p.text("/", { host: "unknown.example.com" })).status).toBe(404);
});

test("Host with a port routes like the bare host", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("dummy").addr, "--host=dummy.example.com");
  expect(await p.text("/", { host: "dummy.example.com:80" })).toMatchObject({ status: 200, body: "dummy" });
});

test("redeploying with a new target sends requests to it", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("old").addr);
  expect((await p.text("/")).body).toBe("old");
  await p.deploy("web", upstream("new").addr);
  expect((await p.text("/")).body).toBe("new");
});

test("buffering with max-request-body 10 rejects 24 bytes with 413, until redeployed without buffering", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr, "--buffer-requests", "--max-request-body=10");
  const body = "x".repeat(24);
  expect((await p.text("/", { method: "POST", body })).status).toBe(413);
  await p.deploy("web", up.addr);
  expect((await p.text("/", { method: "POST", body })).status).toBe(200);
});

test("redeploying with TLS makes plain-HTTP POSTs 301 with an empty body, for new hosts too", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr, "--host=example.com");
  expect((await p.text("/", { method: "POST", host: "example.com" })).status).toBe(200);
  expect((await p.deploy("web", up.addr, "--host=example.com,new.example.com", "--tls")).code).toBe(0);
  for (const host of ["example.com", "new.example.com"]) {
    const r = await p.text("/x?y=1", { method: "POST", host });
    expect(r.status).toBe(301);
    expect(r.body).toBe("");
    expect(r.res.headers.get("location")).toBe(`https://${host}/x?y=1`);
  }
});

test("with a canonical host, www redirects with 301 and the canonical host is served", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream().addr, "--host=example.com,www.example.com", "--canonical-host=example.com");
  const r = await p.text("/path?q=1", { host: "www.example.com" });
  expect(r.status).toBe(301);
  expect(r.res.headers.get("location")).toBe("http://example.com/path?q=1");
  expect((await p.text("/", { host: "example.com" })).status).toBe(200);
});

test("a deploy with unreadable certificate paths fails and the previous configuration keeps serving", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("v1").addr, "--host=example.com");
  const before = p.state.read();
  const r = await p.deploy("web", upstream("v2").addr, "--host=example.com", "--tls", "--tls-certificate-path=/nonexistent/cert.pem", "--tls-private-key-path=/nonexistent/key.pem");
  expect(r.code).toBe(1);
  expect(r.err).toBe("Error: unable to load certificate\n");
  expect(await p.text("/", { host: "example.com" })).toMatchObject({ status: 200, body: "v1" });
  expect(p.state.read()).toBe(before);
  expect(() => JSON.parse(p.state.read()!)).not.toThrow();
});

test("a deploy with an invalid error-pages directory fails and the previous configuration keeps serving", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("v1").addr);
  const before = p.state.read();
  const empty = mkdtempSync(join(tmpdir(), "pages-"));
  onCleanup(() => rmSync(empty, { recursive: true, force: true }));
  const r = await p.deploy("web", upstream("v2").addr, `--error-pages=${empty}`);
  expect(r).toMatchObject({ code: 1, err: "Error: unable to load error pages\n" });
  expect((await p.text("/")).body).toBe("v1");
  expect(p.state.read()).toBe(before);
});

test("pause survives a redeploy; resume serves again", async () => {
  const p = await startProxy();
  const up = upstream();
  await p.deploy("web", up.addr);
  expect((await p.cli("pause", "web", "--max-pause=10ms")).code).toBe(0);
  expect((await p.text("/")).status).toBe(504);
  await p.deploy("web", up.addr);
  expect((await p.text("/")).status).toBe(504);
  expect((await p.cli("resume", "web")).code).toBe(0);
  expect((await p.text("/")).status).toBe(200);
});

test("changing a service's host moves it", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("one").addr, "--host=one.example.com");
  await p.deploy("web", upstream("two").addr, "--host=two.example.com");
  expect(await p.text("/", { host: "two.example.com" })).toMatchObject({ status: 200, body: "two" });
  expect((await p.text("/", { host: "one.example.com" })).status).toBe(404);
});

test("a second service on an owned host fails with the conflict error; the first keeps serving", async () => {
  const p = await startProxy();
  await p.deploy("first", upstream("first").addr, "--host=example.com");
  const r = await p.deploy("second", upstream("second").addr, "--host=example.com");
  expect(r).toMatchObject({ code: 1, err: "Error: host settings conflict with another service\n" });
  expect((await p.text("/", { host: "example.com" })).body).toBe("first");
});

test("two services with no host conflict", async () => {
  const p = await startProxy();
  await p.deploy("first", upstream("first").addr);
  const r = await p.deploy("second", upstream("second").addr);
  expect(r.err).toBe("Error: host settings conflict with another service\n");
  expect((await p.text("/")).body).toBe("first");
});

test("services on different hosts route independently", async () => {
  const p = await startProxy();
  await p.deploy("a", upstream("a").addr, "--host=a.example.com");
  await p.deploy("b", upstream("b").addr, "--host=b.example.com");
  expect((await p.text("/", { host: "a.example.com" })).body).toBe("a");
  expect((await p.text("/", { host: "b.example.com" })).body).toBe("b");
});

function cookieUpstream() {
  return upstream("cookies", (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/up") return new Response("ok");
    const headers = new Headers();
    if (path === "/root") headers.append("set-cookie", "a=1; Path=/");
    else {
      headers.append("set-cookie", "a=1; Path=/something");
      headers.append("set-cookie", "b=2; Path=/something; Domain=other.com");
      headers.append("set-cookie", "c=3; Path=/something; Domain=example.com");
    }
    return new Response("ok", { headers });
  });
}

test("cookie scoping rewrites Path under the matched prefix; off leaves it", async () => {
  const p = await startProxy();
  const up = cookieUpstream();
  await p.deploy("api", up.addr, "--path-prefix=/api,/app", "--scope-cookie-paths");
  await p.deploy("chat", up.addr, "--path-prefix=/chat", "--scope-cookie-paths");
  expect((await p.request("/app/x", { host: "example.com" })).headers.getSetCookie()[0]).toContain("Path=/app/something");
  expect((await p.request("/api/x", { host: "example.com" })).headers.getSetCookie()[0]).toContain("Path=/api/something");
  expect((await p.request("/chat/root", { host: "example.com" })).headers.getSetCookie()[0]).toBe("a=1; Path=/chat");
  await p.deploy("api", up.addr, "--path-prefix=/api,/app");
  await p.deploy("chat", up.addr, "--path-prefix=/chat");
  expect((await p.request("/app/x", { host: "example.com" })).headers.getSetCookie()[0]).toContain("Path=/something");
  expect((await p.request("/chat/root", { host: "example.com" })).headers.getSetCookie()[0]).toBe("a=1; Path=/");
});

test("cookie scoping only touches cookies without Domain or with the request host", async () => {
  const p = await startProxy();
  await p.deploy("api", cookieUpstream().addr, "--path-prefix=/api", "--scope-cookie-paths");
  const cookies = (await p.request("/api/x", { host: "example.com" })).headers.getSetCookie();
  expect(cookies).toEqual(["a=1; Path=/api/something", "b=2; Path=/something; Domain=other.com", "c=3; Path=/api/something; Domain=example.com"]);
});

test("prefix stripping", async () => {
  const p = await startProxy();
  const app = echoUpstream("app");
  const api = echoUpstream("api");
  const root = echoUpstream("root");
  const unstripped = echoUpstream("unstripped");
  await p.deploy("root", root.addr);
  await p.deploy("app", app.addr, "--path-prefix=/app");
  await p.deploy("api", api.addr, "--path-prefix=/api/internal");
  const j = async (path: string) => JSON.parse((await p.text(path)).body);
  expect(await j("/app/show")).toMatchObject({ name: "app", path: "/show" });
  expect(await j("/app")).toMatchObject({ name: "app", path: "/" });
  expect(await j("/api/internal/something?a=b")).toMatchObject({ name: "api", path: "/something", rawQuery: "a=b" });
  expect(await j("/api/external/something")).toMatchObject({ name: "root", path: "/api/external/something" });
  expect(await j("/appointment")).toMatchObject({ name: "root", path: "/appointment" });
  await p.deploy("app", unstripped.addr, "--path-prefix=/app", "--strip-path-prefix=false");
  expect(await j("/app")).toMatchObject({ name: "unstripped", path: "/app" });
});

test("while paused, health paths answer 200 on stripped and unstripped services", async () => {
  const p = await startProxy();
  await p.deploy("api", upstream().addr, "--path-prefix=/api");
  await p.deploy("admin", upstream().addr, "--path-prefix=/admin", "--strip-path-prefix=false", "--health-check-path=/admin/up");
  await p.cli("pause", "api", "--max-pause=10ms");
  await p.cli("pause", "admin", "--max-pause=10ms");
  expect((await p.text("/api/up")).status).toBe(200);
  expect((await p.text("/admin/up")).status).toBe(200);
  expect((await p.text("/api/other")).status).toBe(504);
});

test("a host with only /first and /second: / and /third are 404", async () => {
  const p = await startProxy();
  await p.deploy("first", upstream("first").addr, "--host=example.com", "--path-prefix=/first");
  await p.deploy("second", upstream("second").addr, "--host=example.com", "--path-prefix=/second");
  expect((await p.text("/first", { host: "example.com" })).body).toBe("first");
  expect((await p.text("/second", { host: "example.com" })).body).toBe("second");
  expect((await p.text("/third", { host: "example.com" })).status).toBe(404);
  expect((await p.text("/", { host: "example.com" })).status).toBe(404);
});

test("default-host prefix services and a specific host's prefix service", async () => {
  const p = await startProxy();
  await p.deploy("first", upstream("first").addr, "--path-prefix=/first");
  await p.deploy("second", upstream("second").addr, "--path-prefix=/second");
  await p.deploy("third", upstream("third").addr, "--host=third.example.com", "--path-prefix=/second");
  expect((await p.text("/first", { host: "example.com" })).body).toBe("first");
  expect((await p.text("/second", { host: "example.com" })).body).toBe("second");
  expect((await p.text("/second/path", { host: "third.example.com" })).body).toBe("third");
  expect((await p.text("/", { host: "example.com" })).status).toBe(404);
});

test("a service with no host catches every unmatched host", async () => {
  const p = await startProxy();
  await p.deploy("specific", upstream("specific").addr, "--host=specific.example.com");
  await p.deploy("catchall", upstream("catchall").addr);
  expect((await p.text("/", { host: "specific.example.com" })).body).toBe("specific");
  expect((await p.text("/", { host: "whatever.test" })).body).toBe("catchall");
});

test("one-level wildcards, and other hosts fall to the default", async () => {
  const p = await startProxy();
  await p.deploy("first", upstream("first").addr, "--host=*.first.example.com");
  await p.deploy("second", upstream("second").addr, "--host=*.second.example.com");
  await p.deploy("default", upstream("default").addr);
  expect((await p.text("/", { host: "app.first.example.com" })).body).toBe("first");
  expect((await p.text("/", { host: "api.second.example.com" })).body).toBe("second");
  expect((await p.text("/", { host: "something-else.example.com" })).body).toBe("default");
});

test("a wildcard host with automatic TLS is rejected", async () => {
  const p = await startProxy();
  const r = await p.deploy("web", upstream().addr, "--host=*.example.com", "--tls");
  expect(r).toMatchObject({ code: 1, err: "Error: automatic TLS does not support wildcards\n" });
});

test("a target answering 500 fails the deploy and the host stays 404", async () => {
  const p = await startProxy();
  const up = upstream("bad", () => new Response("no", { status: 500 }));
  const r = await p.cli("deploy", "web", `--target=${up.addr}`, "--host=example.com", "--deploy-timeout=20ms", "--health-check-interval=5ms");
  expect(r).toMatchObject({ code: 1, err: "Error: target failed to become healthy within configured timeout (20ms)\n" });
  expect((await p.text("/", { host: "example.com" })).status).toBe(404);
  expect((await p.cli("list")).out).not.toContain("web");
});

test("an unhealthy new version leaves the old one serving untouched", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("v1").addr, "--host=example.com");
  const bad = upstream("v2", () => new Response("down", { status: 503 }));
  const r = await p.cli("deploy", "web", `--target=${bad.addr}`, "--host=example.com,new.example.com", "--deploy-timeout=50ms", "--health-check-interval=10ms");
  expect(r.code).toBe(1);
  expect((await p.text("/", { host: "example.com" })).body).toBe("v1");
  expect((await p.text("/", { host: "new.example.com" })).status).toBe(404);
  expect(JSON.parse(p.state.read()!)[0].active_targets).not.toContain(bad.addr);
});

test("rollout by cookie: allowlist selects the rollout group; stop returns to active", async () => {
  const p = await startProxy();
  await p.deploy("web", upstream("active").addr);
  const rollout = upstream("rollout");
  const get = async () => (await p.text("/", { headers: { cookie: "kamal-rollout=1" } })).body;
  expect((await p.cli("rollout", "deploy", "web", `--target=${rollout.addr}`, "--deploy-timeout=2s")).code).toBe(0);
  expect(await get()).toBe("active");
  expect((await p.cli("rollout", "set", "web", "--list=1")).code).toBe(0);
  expect(await get()).toBe("rollout");
  await p.cli("rollout", "set", "web", "--list=2");
  expect(await get()).toBe("active");
  await p.cli("rollout", "set", "web", "--list=1");
  expect((await p.cli("rollout", "stop", "web")).code).toBe(0);
  expect(await get()).toBe("active");
  // A percentage split sends every cookie value under the split point, and never cookie-less requests.
  await p.cli("rollout", "set", "web", "--percent=100");
  expect(await get()).toBe("rollout");
  expect((await p.text("/")).body).toBe("active");
});
