import { describe, expect, test } from "bun:test";
import { accessoriesNamed, accessoryHosts } from "../../../src/orchestration/accessory.ts";
import type { Run } from "../../../src/orchestration/run.ts";
import { select } from "../../../src/orchestration/selection.ts";
import { makeConfig } from "../commands/_config.ts";

const config = makeConfig({
  servers: { web: ["1.1.1.1", "1.1.1.2"], workers: [{ "1.1.1.3": "db" }] },
  accessories: {
    mysql: { image: "mysql", host: "1.1.1.4" },
    redis: { image: "redis", role: "web" },
    busybox: { image: "busybox", tag: "db" },
  },
});
const runWith = (options: Parameters<typeof select>[1] = {}) => ({ config, selection: select(config, options) }) as unknown as Run;

describe("accessory names", () => {
  test("one name, all, and Kamal's message for an unknown one", () => {
    expect(accessoriesNamed(runWith(), "redis").map((a) => a.name)).toEqual(["redis"]);
    expect(accessoriesNamed(runWith(), "all").map((a) => a.name)).toEqual(["mysql", "redis", "busybox"]);
    expect(() => accessoriesNamed(runWith(), "x")).toThrow("No accessory by the name of 'x' (options: mysql, redis, and busybox)");
  });

  test("placement by host, role and tag, narrowed by --hosts and --roles", () => {
    const all = runWith();
    expect(accessoryHosts(all, config.accessory("mysql")!)).toEqual(["1.1.1.4"]);
    expect(accessoryHosts(all, config.accessory("redis")!)).toEqual(["1.1.1.1", "1.1.1.2"]);
    expect(accessoryHosts(all, config.accessory("busybox")!)).toEqual(["1.1.1.3"]);
    expect(accessoryHosts(runWith({ hosts: ["1.1.1.2"] }), config.accessory("redis")!)).toEqual(["1.1.1.2"]);
    expect(accessoryHosts(runWith({ roles: ["workers"] }), config.accessory("redis")!)).toEqual([]);
  });
});
