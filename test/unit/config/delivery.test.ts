/** `builder.delivery`: ssh makes the registry optional; mistakes name the key and the fix. */
import { describe, expect, test } from "bun:test";
import { BASE, load, loadError } from "./helpers.ts";

const NO_REGISTRY = BASE.replace("registry:\n  username: user\n  password: pw\n", "");

describe("builder.delivery", () => {
  test("defaults to registry; existing configs still need a registry", () => {
    expect(load(BASE).builder.delivery).toBe("registry");
    expect(loadError(NO_REGISTRY).problems.map((p) => p.message)).toContain("Missing required configuration for registry");
  });

  test("ssh needs no registry section; the image has no registry prefix", () => {
    const config = load(NO_REGISTRY.replace("arch: amd64", "arch: amd64\n  delivery: ssh"));
    expect(config.builder.delivery).toBe("ssh");
    expect(config.repository).toBe("dhh/app");
    expect(config.absoluteImage).toBe("dhh/app:123");
  });

  const cases: [string, string, string][] = [
    ["unknown value", BASE.replace("arch: amd64", "arch: amd64\n  delivery: scp"), "Invalid delivery: scp"],
    ["two arches", NO_REGISTRY.replace("arch: amd64", "arch: [amd64, arm64]\n  delivery: ssh"), "delivery: ssh sends one image built into the local Docker, so it builds for one arch only"],
    [
      "local registry",
      BASE.replace("registry:\n  username: user\n  password: pw", "registry:\n  server: localhost:5000").replace("arch: amd64", "arch: amd64\n  delivery: ssh"),
      "delivery: ssh needs no registry, but registry.server is a local registry",
    ],
  ];
  for (const [name, yaml, message] of cases) {
    test(name, () => {
      const problem = loadError(yaml).problems.find((p) => p.message === message);
      expect(
        problem,
        loadError(yaml)
          .problems.map((p) => p.message)
          .join("; "),
      ).toBeDefined();
      expect(problem!.at?.file).toBe("config/deploy.yml");
      expect(problem!.hint).toBeTruthy();
    });
  }
});
