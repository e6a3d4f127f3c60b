/**
 * The whole chain as the server assembles it, driven in-process through ProxyServer.handle (the server
 * is built but never started, so no port is opened); the app is a function standing in for the target.
 */
import { afterEach, expect, test } from "bun:test";
import { defaultServiceOptions, defaultTargetOptions } from "../../../proxy/options.ts";
import { ProxyServer } from "../../../proxy/server.ts";
import { PLAIN_CONN } from "./support.ts";

let server: ProxyServer | undefined;
afterEach(async () => {
  for (const s of server?.router.services.values() ?? []) s.stopHealthChecks();
  server = undefined;
});

async function proxyWith(app: (req: Request) => Response): Promise<{ server: ProxyServer; lines: () => Record<string, unknown>[] }> {
  const raw: string[] = [];
  let state: string | undefined;
  const s = new ProxyServer({
    httpPort: 0,
    httpsPort: 0,
    metricsPort: 0,
    socketPath: "/nonexistent/control.sock",
    state: { read: () => state, write: (t) => void (state = t), setAside: () => undefined },
    fetch: async (input, init) => app(input instanceof Request ? input : new Request(input, init)),
    logWrite: (l) => raw.push(l),
  });
  server = s;
  const t = defaultTargetOptions();
  await s.commands.dispatch({
    method: "deploy",
    args: {
      service: "web",
      targets: ["app-1:3000"],
      readers: [],
      deployment: { deploy_timeout: 2000, drain_timeout: 1000, force: false },
      service_options: { ...defaultServiceOptions(), hosts: ["a.test"] },
      target_options: { ...t, health_check_config: { ...t.health_check_config, interval: 20 } },
    },
  });
  return { server: s, lines: () => raw.map((l) => JSON.parse(l)).filter((l) => l.msg === "Request" || l.msg === "Bad request") };
}

const seenByApp: Request[] = [];
const app = (req: Request) => {
  if (!new URL(req.url).pathname.startsWith("/up")) seenByApp.push(req);
  return new Response("hi", { headers: { "content-length": "2" } });
};

test("a request goes through every stage: the app sees request id and start, the log line names the service", async () => {
  seenByApp.length = 0;
  const p = await proxyWith(app);
  const res = (await p.server.handle(new Request("http://a.test/page", { headers: { host: "a.test" } }), PLAIN_CONN))!;
  expect(await res.text()).toBe("hi");
  const upstreamReq = seenByApp.at(-1)!;
  const id = upstreamReq.headers.get("x-request-id");
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(upstreamReq.headers.get("x-request-start")).toMatch(/^t=\d{13}$/);
  expect(p.lines()).toEqual([expect.objectContaining({ msg: "Request", service: "web", status: 200, path: "/page", request_id: id, target: "app-1:3000" })]);
});

test("an unrouted host is a logged 404 with no service; the app is not asked", async () => {
  seenByApp.length = 0;
  const p = await proxyWith(app);
  const res = (await p.server.handle(new Request("http://b.test/", { headers: { host: "b.test" } }), PLAIN_CONN))!;
  expect(res.status).toBe(404);
  await res.text();
  expect(seenByApp).toEqual([]);
  expect(p.lines()).toEqual([expect.objectContaining({ msg: "Request", status: 404, service: "" })]);
});

test("an ambiguous request is refused before routing: a Bad request line, no Request line, the app is not asked", async () => {
  seenByApp.length = 0;
  const p = await proxyWith(app);
  const res = (await p.server.handle(new Request("http://a.test/", { headers: { host: "a.test, b.test" } }), PLAIN_CONN))!;
  expect(res.status).toBe(400);
  expect(seenByApp).toEqual([]);
  expect(p.lines()).toEqual([expect.objectContaining({ msg: "Bad request", reason: "more than one Host header" })]);
});
