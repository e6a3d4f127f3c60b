import { describe, expect, test } from "bun:test";
import * as assets from "../../../src/commands/assets.ts";
import * as images from "../../../src/commands/images.ts";
import { render } from "../../../src/commands/shell.ts";
import { makeConfig, role } from "./_config.ts";

describe("assets", () => {
  const config = makeConfig({ asset_path: "/public/assets", proxy: { host: "a.example.com" } });
  const web = role(config);
  const A = ".kamal/apps/app/assets";

  test("extract", () => {
    expect(render(assets.extractAssets(config, web))).toBe(
      `mkdir -p ${A}/extracted/web-999 && docker container rm app-web-assets 2> /dev/null || true && docker container create --name app-web-assets dhh/app:999 && docker container cp -L app-web-assets:/public/assets/. ${A}/extracted/web-999 && docker container rm app-web-assets`,
    );
  });

  test("sync without and with an old version", () => {
    expect(render(assets.syncAssetVolumes(config, web))).toBe(`mkdir -p ${A}/volumes/web-999 ; cp -rnT ${A}/extracted/web-999 ${A}/volumes/web-999`);
    expect(render(assets.syncAssetVolumes(config, web, "123"))).toBe(
      `mkdir -p ${A}/volumes/web-999 ; cp -rnT ${A}/extracted/web-999 ${A}/volumes/web-999 ; cp -rnT ${A}/extracted/web-999 ${A}/volumes/web-123 || true ; cp -rnT ${A}/extracted/web-123 ${A}/volumes/web-999 || true`,
    );
    expect(render(assets.syncAssetVolumes(config, web, ""))).not.toContain("|| true");
  });

  test("clean up older siblings", () => {
    expect(render(assets.cleanUpAssets(config, web))).toBe(
      `find ${A}/extracted -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" + ; find ${A}/volumes -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" +`,
    );
  });

  test("mount options are not part of the copied path", () => {
    const c = makeConfig({ asset_path: "/public/assets:ro" });
    expect(render(assets.extractAssets(c, role(c)))).toContain("app-web-assets:/public/assets/. ");
  });
});

describe("error pages", () => {
  test("directory and clean up, with a destination", () => {
    const config = makeConfig({ error_pages_path: "public" }, { destination: "staging" });
    expect(render(assets.createErrorPagesDirectory(config))).toBe("mkdir -p .kamal/proxy/apps-config/app-staging/error_pages");
    expect(assets.errorPagesDirectory(config)).toBe(".kamal/proxy/apps-config/app-staging/error_pages");
    expect(render(assets.cleanUpErrorPages(config))).toBe("find .kamal/proxy/apps-config/app-staging/error_pages -mindepth 1 -maxdepth 1 ! -name 999 -exec rm -rf {} +");
  });
});

describe("service-wide app commands", () => {
  test("containers, images, remove images, tag latest", () => {
    const config = makeConfig();
    expect(render(images.listContainers(config))).toBe("docker container ls --all --filter label=service=app --filter label=destination=");
    expect(render(images.listImages(config))).toBe("docker image ls dhh/app");
    expect(render(images.removeImages(config))).toBe("docker image prune --all --force --filter label=service=app");
    expect(render(images.tagLatestImage(config))).toBe("docker tag dhh/app:999 dhh/app:latest");
  });

  test("with a destination", () => {
    const config = makeConfig({}, { destination: "staging", version: "abc123" });
    expect(render(images.listContainers(config))).toBe("docker container ls --all --filter label=service=app --filter label=destination=staging");
    expect(render(images.tagLatestImage(config))).toBe("docker tag dhh/app:abc123 dhh/app:latest-staging");
  });
});
