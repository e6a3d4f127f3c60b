import { expect, test } from "bun:test";
import { startProxy, upstream } from "./helpers.ts";

test("B94: a deploy through the command line makes GET / return 200", async () => {
  const p = await startProxy();
  const up = upstream("hello");
  const r = await p.deploy("web", up.addr);
  expect(r).toEqual({ code: 0, out: "", err: "" });
  const res = await p.text("/");
  expect(res.status).toBe(200);
  expect(res.body).toBe("hello");
  const l = await p.cli("list");
  console.log(l.out);
});
