import { describe, expect, test } from "bun:test";
import * as proxy from "../../../src/commands/proxy.ts";
import { render } from "../../../src/commands/shell.ts";

describe("proxy boot_config get", () => {
  test("echoes the boot files, or their defaults (Kamal's boot_config line)", () => {
    expect(render(proxy.bootConfig(".kamal"))).toBe(
      'echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.2") $(cat .kamal/proxy/run_command 2> /dev/null || echo "")',
    );
  });

  test("with sextant's own image as the default image", () => {
    expect(render(proxy.bootConfig(".kamal", { image: "sextant/proxy", version: "v1.0.0" }))).toContain(
      '$(cat .kamal/proxy/image 2> /dev/null || echo "sextant/proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v1.0.0")',
    );
  });

  test("is the first half of the proxy's run command", () => {
    expect(render(proxy.runFromBootFiles(".kamal"))).toStartWith(`${render(proxy.bootConfig(".kamal"))} | xargs docker run `);
  });
});
