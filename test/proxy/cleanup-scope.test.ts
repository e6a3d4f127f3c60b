/**
 * The harness's own promise: what a test starts (proxies, upstreams, temp dirs, a changed TMPDIR) is
 * gone before the next test of the same file begins, whether the test passed or not. Tests in one file
 * run in order, so each second test checks what the first one left.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { cleanupList } from "../support/cleanup.ts";
import { cleanupScope, onCleanup, startProxy, upstream } from "./helpers.ts";

cleanupScope();

const left = { proxyPort: 0, upstreamPort: 0, home: "", tmpdir: "" };

test("a test starts a proxy and an upstream and changes TMPDIR", async () => {
  const p = await startProxy();
  const up = upstream("left-behind?");
  Object.assign(left, { proxyPort: p.port, upstreamPort: up.port, home: p.home, tmpdir: tmpdir() });
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = "/nonexistent-by-test";
  onCleanup(() => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  });
  expect((await p.text("/")).status).toBe(404);
  expect(await (await fetch(`http://${up.addr}/`)).text()).toBe("left-behind?");
});

test("the next test finds them stopped, removed and restored", async () => {
  expect(left.proxyPort).toBeGreaterThan(0);
  await expect(fetch(`http://127.0.0.1:${left.proxyPort}/`)).rejects.toThrow();
  await expect(fetch(`http://127.0.0.1:${left.upstreamPort}/`)).rejects.toThrow();
  expect(existsSync(left.home)).toBe(false);
  expect(tmpdir()).toBe(left.tmpdir);
});

test("cleanups run newest first; one that fails does not keep the others from running", async () => {
  const list = cleanupList();
  const ran: string[] = [];
  list.add(() => ran.push("first"));
  list.add(() => {
    throw new Error("fails on purpose");
  });
  list.add(async () => void ran.push("last"));
  await expect(list.run()).rejects.toThrow("fails on purpose");
  expect(ran).toEqual(["last", "first"]);
  await list.run(); // nothing left to run
  expect(ran).toEqual(["last", "first"]);
});
