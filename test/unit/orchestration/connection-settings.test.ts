import { describe, expect, test } from "bun:test";
import { Secret } from "../../../src/config/secrets.ts";
import { connectionSettings } from "../../../src/orchestration/session.ts";
import { makeConfig } from "../commands/_config.ts";

describe("the pool's settings come from the config's ssh and sshkit sections", () => {
  test("every key maps, times in milliseconds, key_data as resolved", () => {
    const config = makeConfig({
      ssh: { user: "app", port: "2222", proxy: "bastion", keys_only: true, keys: ["~/.ssh/id.pem"], config: "~/.ssh/myconfig", log_level: ":debug", forward_agent: false },
      sshkit: { max_concurrent_starts: 10, pool_idle_timeout: 300, dns_retries: 0 },
    });
    const s = connectionSettings(config, [new Secret("SSH_KEY", "k1")]);
    expect(s).toEqual({
      user: "app",
      port: 2222,
      proxy: "root@bastion",
      proxyCommand: undefined,
      keysOnly: true,
      keys: ["~/.ssh/id.pem"],
      keyData: ["k1"],
      config: ["~/.ssh/myconfig"],
      logLevel: "debug",
      forwardAgent: false,
      maxConcurrentStarts: 10,
      poolIdleTimeoutMs: 300_000,
      dnsRetries: 0,
    });
  });

  test("defaults, and a proxy command when no jump host is set", () => {
    const s = connectionSettings(makeConfig({ ssh: { proxy_command: "nc %h %p" } }));
    expect(s).toMatchObject({
      user: "root",
      port: 22,
      proxy: undefined,
      proxyCommand: "nc %h %p",
      keyData: undefined,
      config: true,
      logLevel: "fatal",
      maxConcurrentStarts: 30,
      poolIdleTimeoutMs: 900_000,
      dnsRetries: 3,
    });
  });
});
