/**
 * HTTP Basic authentication per service: `--basic-auth user:password` (kamal-proxy's proposed flag)
 * or `--basic-auth-file PATH`; 401 with a challenge without the right credentials, the health check
 * path open, only the password's hash in the state file, the protection kept across a restart.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorized, parseCredentials } from "../../proxy/basic-auth.ts";
import { cleanupScope, startProxy, upstream } from "./helpers.ts";

cleanupScope();

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

test("a service deployed with --basic-auth-file answers 401 with a challenge, and the app with the credentials", async () => {
  const p = await startProxy();
  const file = join(mkdtempSync(join(tmpdir(), "basic-auth-")), "credentials");
  writeFileSync(file, "admin:s3cr3t:with:colons\n", { mode: 0o600 });
  const deployed = await p.deploy("web", upstream("the app").addr, `--basic-auth-file=${file}`);
  expect(deployed.code, deployed.err).toBe(0);

  const none = await p.text("/");
  expect(none.status).toBe(401);
  expect(none.res.headers.get("www-authenticate")).toBe('Basic realm="web", charset="UTF-8"');
  expect((await p.text("/", { headers: { authorization: basic("admin", "wrong") } })).status).toBe(401);
  expect((await p.text("/", { headers: { authorization: basic("nobody", "s3cr3t:with:colons") } })).status).toBe(401);
  expect((await p.text("/", { headers: { authorization: "Bearer abc" } })).status).toBe(401);
  expect(await p.text("/", { headers: { authorization: basic("admin", "s3cr3t:with:colons") } })).toMatchObject({ status: 200, body: "the app" });
  // Load balancers check health without credentials.
  expect((await p.text("/up")).status).toBe(200);

  // The state file holds the hash, never the password; a restart keeps the protection.
  const state = readFileSync(join(p.home, ".config/kamal-proxy/kamal-proxy.state"), "utf8");
  expect(state).not.toContain("s3cr3t");
  expect(state).toContain('"username":"admin"');
  const again = await p.restart();
  expect((await again.text("/")).status).toBe(401);
  expect((await again.text("/", { headers: { authorization: basic("admin", "s3cr3t:with:colons") } })).status).toBe(200);
});

test("--basic-auth on the command line works too; bad forms are refused", async () => {
  const p = await startProxy();
  expect((await p.deploy("web", upstream().addr, "--basic-auth=ops:pw")).code).toBe(0);
  expect((await p.text("/", { headers: { authorization: basic("ops", "pw") } })).status).toBe(200);
  const bad = await p.deploy("other", upstream().addr, "--host=other.test", "--basic-auth=nocolon");
  expect(bad.code).not.toBe(0);
  expect(bad.err + bad.out).toContain("basic-auth must be username:password");
  const both = await p.deploy("other", upstream().addr, "--host=other.test", "--basic-auth=a:b", "--basic-auth-file=/x");
  expect(both.err + both.out).toContain("use either --basic-auth or --basic-auth-file, not both");
  const missing = await p.deploy("other", upstream().addr, "--host=other.test", "--basic-auth-file=/nonexistent");
  expect(missing.err + missing.out).toContain("unable to read basic-auth-file /nonexistent: ENOENT");
});

test("credentials compare as a whole: user and password both, any lengths", () => {
  const auth = parseCredentials("user:pass", "test");
  expect(authorized(auth, basic("user", "pass"))).toBe(true);
  expect(authorized(auth, basic("user", "pas"))).toBe(false);
  expect(authorized(auth, basic("use", "pass"))).toBe(false);
  expect(authorized(auth, basic("user", "pass".repeat(1000)))).toBe(false);
  expect(authorized(auth, "basic !!!")).toBe(false);
  expect(authorized(auth, null)).toBe(false);
});
