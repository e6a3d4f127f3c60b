/**
 * Proves the test bed: its hosts are separate machines reachable over SSH, each with its own Docker
 * engine, and images built on the builder travel through the registry to every host.
 */
import { describe, expect, test } from "bun:test";
import { buildAndPush } from "../support/images.ts";
import { onHost, testbed } from "../support/testbed.ts";

const bed = testbed();
const [host1, host2] = bed.hosts;

describe("test bed", () => {
  test("has at least two hosts", () => {
    expect(bed.hosts.length).toBeGreaterThanOrEqual(2);
  });

  test("each host is its own machine: own hostname, own Docker engine", async () => {
    const infos = await Promise.all(
      [host1!, host2!].map(async (host) => {
        const result = await onHost(bed, host, "hostname && docker info --format '{{.ID}} {{.Name}}'");
        expect(result.stderr).not.toContain("Cannot connect");
        expect(result.code).toBe(0);
        return result.stdout.trim().split("\n");
      }),
    );
    const [hostname1, info1] = infos[0]!;
    const [hostname2, info2] = infos[1]!;
    expect(hostname1).toBe("host1");
    expect(hostname2).toBe("host2");
    // Different engines: different engine IDs.
    expect(info1!.split(" ")[0]).not.toBe(info2!.split(" ")[0]);
  });

  test("an image built on the builder and pushed to the registry is pulled and run on both hosts", async () => {
    const tag = `t${Date.now()}`;
    const image = await buildAndPush(bed, "bedcheck", tag, { files: { "index.html": `bed ${tag}\n` } });
    for (const host of [host1!, host2!]) {
      const login = await onHost(bed, host, `docker login ${bed.registry} -u ${bed.registryUser} --password-stdin`, {
        stdin: bed.registryPassword,
      });
      expect(login.code).toBe(0);
      const pull = await onHost(bed, host, `docker pull -q ${image} && docker run --rm ${image} /bin/busybox cat /www/index.html`);
      expect({ code: pull.code, out: pull.stdout.trim().split("\n").at(-1), err: pull.stderr }).toMatchObject({
        code: 0,
        out: `bed ${tag}`,
      });
    }
  });

  test("the registry refuses pulls without credentials", async () => {
    const result = await onHost(bed, host2!, `docker logout ${bed.registry} >/dev/null; docker pull ${bed.registry}/bedcheck:none`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no basic auth credentials|unauthorized/);
  });
});
