import { describe, expect, test } from "bun:test";
import { classicBuild, pushTags } from "../../../src/commands/classic-build.ts";
import { setupLocal } from "../../../src/commands/registry.ts";
import { render } from "../../../src/commands/shell.ts";
import { localRegistryImage } from "../../../src/orchestration/local-registry.ts";
import { sshBuilderHost } from "../../../src/orchestration/remote-build.ts";
import { makeConfig } from "./_config.ts";

describe("classic build (no buildx)", () => {
  const config = makeConfig({ builder: { arch: "amd64", args: { A: "1" }, target: "prod" } });

  test("release build and push", () => {
    expect(render(classicBuild(config))).toBe('docker build -t dhh/app:999 -t dhh/app:latest --label service="app" --build-arg A="1" --file Dockerfile --target prod . 2>&1');
    expect(render(pushTags(config))).toBe("docker push dhh/app:999 && docker push dhh/app:latest");
  });

  test("build dev tags VERSION-dirty and latest-dirty", () => {
    expect(render(classicBuild(config, { dirty: true, noCache: true }))).toBe(
      'docker build -t dhh/app:999-dirty -t dhh/app:latest-dirty --label service="app" --build-arg A="1" --file Dockerfile --target prod --no-cache . 2>&1',
    );
    expect(render(pushTags(config, { dirty: true }))).toBe("docker push dhh/app:999-dirty && docker push dhh/app:latest-dirty");
  });
});

describe("local registry", () => {
  test("the registry image is configurable", () => {
    expect(render(setupLocal(5555, "mirror.example/registry:3"))).toBe("docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 --name kamal-docker-registry mirror.example/registry:3");
    expect(localRegistryImage({})).toBe("registry:3");
    expect(localRegistryImage({ SEXTANT_LOCAL_REGISTRY_IMAGE: "my/registry:2" })).toBe("my/registry:2");
  });

  test("a local registry config: image defaults to the service, no credentials", () => {
    const config = makeConfig({ image: undefined, registry: { server: "localhost:5555" } });
    expect(config.registry.local).toBe(true);
    expect(config.registry.localPort).toBe(5555);
    expect(config.absoluteImage).toBe("localhost:5555/app:999");
  });
});

describe("remote builder over SSH", () => {
  test("ssh:// URLs become SSH host specs; other schemes are not SSH", () => {
    expect(sshBuilderHost("ssh://docker@10.0.0.5")).toBe("docker@10.0.0.5");
    expect(sshBuilderHost("ssh://app@1.1.1.5:2122")).toBe("app@1.1.1.5:2122");
    expect(sshBuilderHost("tcp://10.0.0.5:2375")).toBeUndefined();
    expect(sshBuilderHost(undefined)).toBeUndefined();
  });
});
