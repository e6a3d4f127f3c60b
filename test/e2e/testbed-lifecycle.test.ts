/**
 * `scripts/testbed up 3 && scripts/testbed down`, twice in a row, must leave the machine exactly as it
 * was: no namespace, process, mount, interface or iptables rule left behind. Uses its own bed name and
 * subnet so it does not disturb the bed the other end-to-end tests run on.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { repoRoot, run, runOk } from "../support/testbed.ts";

const NAME = "sxcycle";
const env = { TESTBED_NAME: NAME, TESTBED_NET: "250", TESTBED_QUIET: "1" };
const testbedScript = `${repoRoot}/scripts/testbed`;

async function snapshot() {
  const lines = async (argv: string[]) => (await runOk(argv)).stdout.split("\n").filter(Boolean).sort();
  const processes = (await lines(["ps", "-eo", "args"])).filter((l) => l.includes(`sextant-testbed/${NAME}`));
  return {
    netns: await lines(["ip", "netns", "list"]),
    links: (await lines(["ip", "-o", "link", "show"])).map((l) => l.split(":")[1]!.trim().split("@")[0]),
    filter: await lines(["iptables", "-S"]),
    nat: await lines(["iptables", "-t", "nat", "-S"]),
    mounts: readFileSync("/proc/mounts", "utf8").split("\n").filter(Boolean).sort(),
    processes,
    dirs: (await run(["ls", "-d", `/var/lib/sextant-testbed/${NAME}`, `/run/sextant-testbed/${NAME}`])).stdout.trim(),
  };
}

test("up 3 then down, twice, leaves nothing behind", async () => {
  const before = await snapshot();
  for (let round = 1; round <= 2; round++) {
    await runOk([testbedScript, "up", "3"], { env, timeoutMs: 120_000 });
    const during = await snapshot();
    expect(during.netns.filter((n) => n.startsWith(`${NAME}-`)).length).toBe(4); // 3 hosts + builder
    expect(during.links).toContain(`${NAME}0`);
    expect(during.filter.some((r) => r.includes(`sextant-testbed-${NAME}`))).toBe(true);
    const printed = (await runOk([testbedScript, "env"], { env })).stdout;
    expect(printed).toContain("TESTBED_HOSTS=10.203.250.11,10.203.250.12,10.203.250.13");

    await runOk([testbedScript, "down"], { env, timeoutMs: 120_000 });
    expect(await snapshot()).toEqual(before);
  }
}, 300_000);

test("an up that fails half-way cleans up after itself", async () => {
  const before = await snapshot();
  const bad = await run([testbedScript, "up", "3"], { env: { ...env, TESTBED_FAULT: "host2" }, timeoutMs: 120_000 });
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("fault injected after starting host2");
  expect(bad.stderr).toContain("cleaning up");
  expect(await snapshot()).toEqual(before);
  // And the next up works.
  await runOk([testbedScript, "up", "1"], { env, timeoutMs: 120_000 });
  await runOk([testbedScript, "down"], { env, timeoutMs: 120_000 });
  expect(await snapshot()).toEqual(before);
}, 300_000);
