import { expect, test } from "bun:test";
import { runProxyCli } from "../../../proxy/cli/main.ts";

function io() {
  let out = "";
  let err = "";
  return { io: { out: (t: string) => void (out += t), err: (t: string) => void (err += t) }, out: () => out, err: () => err };
}

test("the proxy's help lists kamal-proxy's commands", async () => {
  const c = io();
  expect(await runProxyCli(["--help"], "kamal-proxy", c.io)).toBe(0);
  for (const name of ["run", "deploy", "remove", "list", "pause", "resume", "stop", "rollout"]) {
    expect(c.out()).toMatch(new RegExp(`^  ${name}\\b`, "m"));
  }
});

test("an unknown proxy command is an Error: line and exit code 1", async () => {
  const c = io();
  expect(await runProxyCli(["deplyo"], "kamal-proxy", c.io)).toBe(1);
  expect(c.err()).toStartWith("Error: unknown command");
});
