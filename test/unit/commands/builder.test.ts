import { describe, expect, test } from "bun:test";
import * as builder from "../../../src/commands/builder.ts";
import { render, shellEscape } from "../../../src/commands/shell.ts";
import type { Raw } from "../../../src/config/model.ts";
import { makeConfig } from "./_config.ts";

const build = (overrides: Raw = {}, options: { destination?: string; version?: string } = {}) => makeConfig(overrides, { version: "abc123", ...options });

describe("build push", () => {
  test("kamal deploy of a one-role app", () => {
    expect(render(builder.push(build(), "amd64"))).toBe(
      'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:abc123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
    );
  });

  test("multiarch with args (redacted), secrets, dockerfile, target, ssh, provenance, sbom, no-cache, context", () => {
    const config = build({
      builder: {
        arch: ["amd64", "arm64"],
        args: { a: "1", b: "two words" },
        secrets: ["GITHUB_TOKEN"],
        dockerfile: "Dockerfile.xyz",
        target: "prod",
        ssh: "default=$SSH_AUTH_SOCK",
        provenance: false,
        sbom: true,
        context: "..",
      },
    });
    const argv = builder.push(config, "amd64", { noCache: true });
    expect(render(argv)).toBe(
      'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-local-docker-container -t dhh/app:abc123 -t dhh/app:latest --label service="app" --build-arg a="1" --build-arg b="two words" --secret id="GITHUB_TOKEN" --file Dockerfile.xyz --target prod --ssh default=$SSH_AUTH_SOCK --provenance false --sbom true --no-cache .. 2>&1',
    );
    expect(render(argv, { redact: true })).toContain("--build-arg a=[REDACTED] --build-arg b=[REDACTED] --secret");
  });

  test("destination latest tag, registry server, docker driver (no --builder), dev build", () => {
    const config = build({ registry: { server: "registry.example.com", username: "u", password: "p" }, builder: { arch: "amd64", driver: "docker" } }, { destination: "staging" });
    expect(render(builder.push(config, "amd64", { output: "docker", dirty: true }))).toBe(
      'docker buildx build --output=type=docker --platform linux/amd64 -t registry.example.com/dhh/app:abc123-dirty -t registry.example.com/dhh/app:latest-staging-dirty --label service="app" --file Dockerfile . 2>&1',
    );
  });

  test("remote and hybrid builders", () => {
    const remote = build({ builder: { arch: "arm64", remote: "ssh://app@1.1.1.5:2122" } });
    expect(render(builder.push(remote, "amd64"))).toStartWith("docker buildx build --output=type=registry --platform linux/arm64 --builder kamal-remote-ssh---app-1-1-1-5-2122 -t");
    const hybrid = build({ builder: { arch: ["amd64", "arm64"], remote: "ssh://app@1.1.1.5" } });
    expect(render(builder.push(hybrid, "amd64"))).toStartWith("docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-hybrid-docker-container-ssh---app-1-1-1-5 -t");
  });

  test("caches", () => {
    const gha = build({ builder: { arch: "amd64", cache: { type: "gha", options: "mode=max,scope=x" } } });
    expect(render(builder.push(gha, "amd64"))).toContain("-t dhh/app:latest --cache-to type=gha,mode=max,scope=x --cache-from type=gha,scope=x --label");
    const registry = build({ builder: { arch: "amd64", cache: { type: "registry", options: "mode=max,image-manifest=true" } } });
    expect(render(builder.push(registry, "amd64"))).toContain("--cache-to type=registry,ref=dhh/app-build-cache,mode=max,image-manifest=true --cache-from type=registry,ref=dhh/app-build-cache --label");
    const withImage = build({ registry: { server: "reg.io", username: "u", password: "p" }, builder: { arch: "amd64", cache: { type: "registry", image: "my/cache" } } });
    expect(render(builder.push(withImage, "amd64"))).toContain("--cache-to type=registry,ref=reg.io/my/cache --cache-from type=registry,ref=reg.io/my/cache");
  });

  test("buildpacks", () => {
    const config = build({ builder: { arch: "amd64", pack: { builder: "heroku/builder:24", buildpacks: ["heroku/ruby", "heroku/procfile"] }, args: { a: "1" } } });
    expect(render(builder.push(config, "amd64"))).toBe(
      'pack build dhh/app --platform linux/amd64 --creation-time now --builder heroku/builder:24 --buildpack heroku/ruby --buildpack heroku/procfile --buildpack paketo-buildpacks/image-labels -t dhh/app:abc123 -t dhh/app:latest --env BP_IMAGE_LABELS=service=app --env a="1" --path . && docker push dhh/app:abc123 && docker push dhh/app:latest',
    );
    expect(render(builder.inspect(config, "amd64"))).toBe("pack builder inspect heroku/builder:24");
  });

  test("buildpacks get build secrets by name only (pack reads them from its environment)", () => {
    const config = build({ builder: { arch: "amd64", pack: { builder: "heroku/builder:24", buildpacks: ["heroku/ruby"] }, secrets: ["GITHUB_TOKEN"] } });
    expect(render(builder.push(config, "amd64"))).toContain("--env BP_IMAGE_LABELS=service=app --env GITHUB_TOKEN --path .");
  });
});

describe("builder lifecycle", () => {
  test("local", () => {
    const config = build();
    expect(render(builder.create(config, "amd64"))).toBe("docker buildx create --name kamal-local-docker-container --driver=docker-container");
    expect(render(builder.remove(config, "amd64"))).toBe("docker buildx rm kamal-local-docker-container");
    expect(render(builder.inspect(config, "amd64"))).toBe("docker buildx inspect kamal-local-docker-container");
  });

  test("local with a local registry", () => {
    const config = build({ registry: { server: "localhost:5555" } });
    expect(render(builder.create(config, "amd64"))).toBe("docker buildx create --name kamal-local-registry-docker-container --driver=docker-container --driver-opt network=host");
  });

  test("remote", () => {
    const config = build({ builder: { arch: "arm64", remote: "ssh://app@1.1.1.5" } });
    const name = "kamal-remote-ssh---app-1-1-1-5";
    expect(render(builder.create(config, "amd64"))).toBe(`docker context create ${name}-context --description '${name} host' --docker 'host=ssh://app@1.1.1.5' ; docker buildx create --name ${name} ${name}-context`);
    expect(render(builder.remove(config, "amd64"))).toBe(`docker buildx rm ${name} ; docker context rm ${name}-context`);
    expect(render(builder.inspect(config, "amd64"))).toBe(
      `docker buildx inspect ${name} | grep -q Endpoint:.*${name}-context && docker context inspect ${name}-context --format '{{.Endpoints.docker.Host}}' | grep -xq ssh://app@1.1.1.5 || (echo no compatible builder && exit 1)`,
    );
  });

  test("hybrid", () => {
    const config = build({ builder: { arch: ["amd64", "arm64"], remote: "ssh://app@1.1.1.5" } });
    const name = "kamal-hybrid-docker-container-ssh---app-1-1-1-5";
    expect(render(builder.create(config, "amd64"))).toBe(
      `docker buildx create --platform linux/amd64 --name ${name} --driver=docker-container && docker context create ${name}-context --description '${name} host' --docker 'host=ssh://app@1.1.1.5' && docker buildx create --platform linux/arm64 --append --name ${name} ${name}-context`,
    );
  });

  test("cloud", () => {
    const config = build({ builder: { arch: "amd64", driver: "cloud docker/builder" } });
    expect(render(builder.create(config, "amd64"))).toBe("docker buildx create --driver cloud docker/builder");
    expect(render(builder.push(config, "amd64"))).toContain("--builder cloud-docker-builder ");
  });

  test("details and arch", () => {
    expect(render(builder.info())).toBe("docker context ls && docker buildx ls");
    expect(render(builder.localArchitecture())).toBe("docker info --format '{{.Architecture}}'");
    expect(builder.dockerArch("aarch64\n")).toBe("arm64");
    expect(builder.dockerArch("x86_64")).toBe("amd64");
  });
});

describe("pull on servers", () => {
  test("clean, pull, validate the service label", () => {
    const config = build();
    expect(render(builder.clean(config))).toBe("docker image rm --force dhh/app:abc123");
    expect(render(builder.pull(config))).toBe("docker pull dhh/app:abc123");
    expect(render(builder.validateImage(config))).toBe("docker inspect -f '{{ .Config.Labels.service }}' dhh/app:abc123 | grep -x app || (echo \"Image dhh/app:abc123 is missing the 'service' label\" && exit 1)");
    expect(render(builder.firstMirror())).toBe("docker info --format '{{index .RegistryConfig.Mirrors 0}}'");
  });
});

describe("git clone", () => {
  const paths = builder.clonePaths({ tmpdir: "/tmp/", service: "app", cwd: "/home/me/my app/web", gitRoot: "/home/me/my app" });

  test("paths", () => {
    expect(paths.cloneDirectory).toMatch(/^\/tmp\/kamal-clones\/app-[0-9a-f]{13}$/);
    expect(paths.buildDirectory).toBe(`${paths.cloneDirectory}/my app/web`);
  });

  test("commands escape paths like Shellwords", () => {
    const dir = paths.cloneDirectory;
    expect(render(builder.clone(paths, "/home/me/my app"))).toBe(`git -C ${dir} clone /home/me/my\\ app --recurse-submodules`);
    expect(builder.cloneResetSteps(paths, "/home/me/my app", "abc123").map((s) => render(s))).toEqual([
      `git -C ${dir}/my\\ app/web remote set-url origin /home/me/my\\ app`,
      `git -C ${dir}/my\\ app/web fetch origin`,
      `git -C ${dir}/my\\ app/web reset --hard abc123`,
      `git -C ${dir}/my\\ app/web clean -fdx`,
      `git -C ${dir}/my\\ app/web submodule update --init`,
      `git -C ${dir}/my\\ app/web gc --auto --quiet`,
    ]);
    expect(render(builder.cloneStatus(paths))).toBe(`git -C ${dir}/my\\ app/web status --porcelain`);
    expect(render(builder.cloneRevision(paths))).toBe(`git -C ${dir}/my\\ app/web rev-parse HEAD`);
  });

  test("shellEscape", () => {
    expect(shellEscape("")).toBe("''");
    expect(shellEscape("a b'c$d")).toBe("a\\ b\\'c\\$d");
    expect(shellEscape("/ok/path-1.2_x:y@z,+")).toBe("/ok/path-1.2_x:y@z,+");
    expect(shellEscape("a\nb")).toBe("a'\n'b");
  });
});
