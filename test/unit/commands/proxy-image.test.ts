import { describe, expect, test } from "bun:test";
import * as cmd from "../../../src/commands/proxy-image.ts";

const SHA = "a".repeat(64);

describe("proxy image commands", () => {
  test("probe: the image's digest label (two inspects: a missing image prints a line too) and the engine's architecture", () => {
    expect(cmd.probeProxyImage("sextant/proxy:v0.1.0", "dev.sextant.binary-digest")).toBe(
      `if docker image inspect sextant/proxy:v0.1.0 > /dev/null 2>&1; then echo "image=$(docker image inspect sextant/proxy:v0.1.0 --format \\{\\{index\\ .Config.Labels\\ \\"dev.sextant.binary-digest\\"\\}\\})"; ` +
        `else echo image=-; fi; echo "arch=$(docker info --format '{{.Architecture}}')"`,
    );
  });

  test("parseProbe: absent, present without label, present with digest; Docker's arch names", () => {
    expect(cmd.parseProbe("image=-\narch=x86_64\n")).toEqual({ digest: undefined, arch: "amd64" });
    expect(cmd.parseProbe("image=<no value>\narch=aarch64\n")).toEqual({ digest: "", arch: "arm64" });
    expect(cmd.parseProbe(`image=${SHA}\narch=amd64\n`)).toEqual({ digest: SHA, arch: "amd64" });
    expect(cmd.parseProbe("image=-\narch=riscv64\n")).toEqual({ digest: undefined, arch: "riscv64" });
  });

  test("receive: stdin to a file, sha256 checked on the server before docker load, file removed", () => {
    expect(cmd.receiveProxyImage("/tmp/sextant-proxy-image-x", SHA)).toBe(
      `cat > /tmp/sextant-proxy-image-x && if [ "$(sha256sum /tmp/sextant-proxy-image-x | cut -c1-64)" = ${SHA} ]; then docker load --quiet --input /tmp/sextant-proxy-image-x; ` +
        `else echo "the proxy image archive arrived damaged (sha256 mismatch)" >&2; false; fi; s=$?; rm -f /tmp/sextant-proxy-image-x; exit $s`,
    );
  });

  test("receive with keep: the file stays for the peers unless loading failed", () => {
    expect(cmd.receiveProxyImage("/tmp/f", SHA, { keep: true })).toBe(
      `cat > /tmp/f && if [ "$(sha256sum /tmp/f | cut -c1-64)" = ${SHA} ]; then docker load --quiet --input /tmp/f; ` +
        `else echo "the proxy image archive arrived damaged (sha256 mismatch)" >&2; false; fi || { s=$?; rm -f /tmp/f; exit $s; }`,
    );
  });

  test("share: a container of the image serves the file on a port Docker picks, and prints it", () => {
    expect(cmd.startShare({ image: "sextant/proxy:v0.1.0", name: "share-1", path: "/tmp/f", token: "t0k", downloads: 4, timeoutSeconds: 600 })).toBe(
      "chmod 644 /tmp/f && docker run --detach --rm --name share-1 --publish 8080 --volume /tmp/f:/share/image:ro sextant/proxy:v0.1.0 " +
        "sextant proxy-image-share /share/image --token t0k --downloads 4 --timeout 600 > /dev/null && " +
        "for i in $(seq 1 100); do docker logs share-1 2>&1 | grep -q serving && break; sleep 0.1; done && docker port share-1 8080/tcp",
    );
    expect(cmd.parseSharePort("0.0.0.0:49153\n[::]:49153\n")).toBe(49153);
    expect(cmd.parseSharePort("")).toBeUndefined();
    expect(cmd.stopShare("share-1", "/tmp/f")).toBe("docker rm --force share-1 > /dev/null 2>&1; rm -f /tmp/f");
  });

  test("a peer's address in a URL: IPv6 literals in brackets", () => {
    expect(cmd.urlHost("2001:db8::1")).toBe("[2001:db8::1]");
    expect(cmd.urlHost("web1.example.com")).toBe("web1.example.com");
  });
});

import { listContainers, listImages } from "../../../src/commands/images.ts";
import { listing } from "../../../src/commands/json-format.ts";
import { render } from "../../../src/commands/shell.ts";

describe("--json listings", () => {
  test("the same docker listing, one JSON object per line", () => {
    expect(render(listing(listImages({ repository: "reg/app" }), { json: true }))).toBe("docker image ls reg/app --format '{{json .}}'");
    expect(render(listing(listImages({ repository: "reg/app" })))).toBe("docker image ls reg/app");
    expect(render(listing(listContainers({ service: "app", destination: undefined }), { json: true }))).toBe("docker container ls --all --filter label=service=app --filter label=destination= --format '{{json .}}'");
  });
});
