import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listLayers, load, receiveAndKeep, saveImage, tagLoaded } from "../../../src/commands/delivery.ts";
import { render } from "../../../src/commands/shell.ts";

describe("delivery command lines", () => {
  test("save, load and tag", () => {
    expect(render(saveImage("app:v1", "/tmp/a b/image.tar"))).toBe("docker save --output /tmp/a\\ b/image.tar app:v1");
    expect(render(load())).toBe("docker load");
    expect(render(tagLoaded("sha256:abc", "app:v1"))).toBe("docker tag sha256:abc app:v1");
  });

  test("what a server has, in one round trip", () => {
    expect(listLayers("sextant/proxy:v1")).toBe(
      "docker image inspect sextant/proxy:v1 > /dev/null 2>&1 && echo yes || echo no && " +
        "docker info --format '{{json .DriverStatus}}' && " +
        "{ docker image ls --all --quiet --no-trunc | sort -u | xargs -r docker image inspect --format '{{json .RootFS.Layers}}' 2>/dev/null || true; }",
    );
  });

  test("the seed keeps a copy while loading", () => {
    expect(receiveAndKeep("/tmp/sextant-layers-1")).toBe("( umask 022 && tee /tmp/sextant-layers-1 ) | docker load || { s=$?; rm -f /tmp/sextant-layers-1; exit $s; }");
  });

  test("the seed's copy: kept when the load succeeds, removed when it fails (run in sh, docker as a stand-in)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sextant-delivery-cmd-"));
    try {
      for (const [status, kept] of [
        [0, true],
        [3, false],
      ] as const) {
        writeFileSync(join(dir, "docker"), `#!/bin/sh\ncat > /dev/null\nexit ${status}\n`, { mode: 0o755 });
        const copy = join(dir, `copy-${status}`);
        const r = spawnSync("sh", ["-c", receiveAndKeep(copy)], { input: "layers", env: { PATH: `${dir}:${process.env.PATH}` } });
        expect(r.status).toBe(status);
        expect(spawnSync("test", ["-e", copy]).status === 0).toBe(kept);
        if (kept) expect(readFileSync(copy, "utf8")).toBe("layers");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
