import { describe, expect, test } from "bun:test";
import { expandProxyCommand } from "../../../src/ssh/connect.ts";
import { parseHostSpec, SshResolver } from "../../../src/ssh/options.ts";
import { parseSshConfig } from "../../../src/ssh/ssh-config.ts";

const env = { HOME: "/home/me", USER: "me", SSH_AUTH_SOCK: "/tmp/agent.sock" };
const resolver = (settings: ConstructorParameters<typeof SshResolver>[0], config = "") => new SshResolver({ env, ...settings }, parseSshConfig(config));

describe("parseHostSpec", () => {
  test("[user@]host[:port], IPv6 in brackets", () => {
    expect(parseHostSpec("host")).toEqual({ user: undefined, host: "host", port: undefined });
    expect(parseHostSpec("app@host:2222")).toEqual({ user: "app", host: "host", port: 2222 });
    expect(parseHostSpec("[::1]:22")).toEqual({ user: undefined, host: "::1", port: 22 });
    expect(parseHostSpec("root@[fe80::1]")).toEqual({ user: "root", host: "fe80::1", port: undefined });
  });
});

describe("SshResolver", () => {
  test("defaults: root, port 22, default identities, agent, keepalive 30 s, strict host keys", () => {
    const t = resolver({ config: false }).resolve("10.0.0.1");
    expect(t).toMatchObject({
      host: "10.0.0.1",
      hostname: "10.0.0.1",
      user: "root",
      port: 22,
      agent: "/tmp/agent.sock",
      jumps: [],
      hostKeyPolicy: "yes",
      keepaliveIntervalMs: 30_000,
      knownHostsFiles: ["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2"],
      forwardAgent: true,
      dnsRetries: 3,
    });
    expect(t.identityFiles).toEqual(["/home/me/.ssh/id_ed25519", "/home/me/.ssh/id_ecdsa", "/home/me/.ssh/id_rsa"]);
  });

  test("~/.ssh/config fills what the deploy config leaves out", () => {
    const config = "Host web1\n  HostName web1.internal\n  User deploy\n  Port 2200\n  IdentityFile ~/.ssh/web\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/kh\n";
    const t = resolver({}, config).resolve("web1");
    expect(t).toMatchObject({ host: "web1", hostname: "web1.internal", user: "deploy", port: 2200, hostKeyPolicy: "accept-new", knownHostsFiles: ["/home/me/kh"] });
    expect(t.identityFiles).toEqual(["/home/me/.ssh/web"]);
  });

  test("the deploy config's ssh section wins over ~/.ssh/config", () => {
    const config = "Host web1\n  User deploy\n  Port 2200\n  IdentityFile ~/.ssh/web\n";
    const t = resolver({ user: "app", port: 22, keys: ["~/.ssh/deploy_key"] }, config).resolve("web1");
    expect(t).toMatchObject({ user: "app", port: 22 });
    expect(t.identityFiles).toEqual(["/home/me/.ssh/deploy_key", "/home/me/.ssh/web"]);
  });

  test("keys_only / IdentitiesOnly: no agent; key_data alone means no default files", () => {
    expect(resolver({ keysOnly: true, keys: ["/k"] }).resolve("h")).toMatchObject({ agent: undefined, identityFiles: ["/k"] });
    expect(resolver({ keysOnly: true, keyData: ["PEM"] }).resolve("h")).toMatchObject({ agent: undefined, identityFiles: [], keyData: ["PEM"] });
    expect(resolver({}, "IdentitiesOnly yes\n").resolve("h").agent).toBeUndefined();
    expect(resolver({}, "IdentityAgent none\n").resolve("h").agent).toBeUndefined();
    expect(resolver({}, "IdentityAgent ~/agent.sock\n").resolve("h").agent).toBe("/home/me/agent.sock");
  });

  test("ssh.proxy: a jump host, user root by default, resolved through ~/.ssh/config too", () => {
    const config = "Host bastion\n  HostName bastion.example.com\n  Port 2022\n";
    const t = resolver({ user: "app", proxy: "bastion" }, config).resolve("10.0.0.2");
    expect(t.jumps.map((j) => [j.user, j.hostname, j.port])).toEqual([["root", "bastion.example.com", 2022]]);
    expect(t.user).toBe("app");
    const u = resolver({ proxy: "ops@jump:2200" }).resolve("10.0.0.2");
    expect(u.jumps.map((j) => [j.user, j.hostname, j.port])).toEqual([["ops", "jump", 2200]]);
  });

  test("ProxyJump chains from ~/.ssh/config; ssh.proxy_command overrides", () => {
    const config = "Host 10.0.0.*\n  ProxyJump a@j1,j2:2200\nHost j2\n  User j2user\n";
    const t = resolver({}, config).resolve("10.0.0.3");
    expect(t.jumps.map((j) => `${j.user}@${j.hostname}:${j.port}`)).toEqual(["a@j1:22", "j2user@j2:2200"]);
    const p = resolver({ proxyCommand: "ssh -W %h:%p gw" }, config).resolve("10.0.0.3");
    expect(p.jumps).toEqual([]);
    expect(p.proxyCommand).toBe("ssh -W %h:%p gw");
    expect(resolver({}, "ProxyCommand nc %h %p\n").resolve("x").proxyCommand).toBe("nc %h %p");
    // Both set: ssh.proxy wins, as in Kamal.
    const both = resolver({ proxy: "gw", proxyCommand: "nc %h %p" }).resolve("x");
    expect([both.jumps.map((j) => j.hostname), both.proxyCommand]).toEqual([["gw"], undefined]);
  });

  test("user and port in the host name itself", () => {
    expect(resolver({ user: "app" }).resolve("deploy@10.0.0.4:2222")).toMatchObject({ host: "10.0.0.4", user: "deploy", port: 2222 });
  });

  test("an explicit host key policy wins over ~/.ssh/config", () => {
    expect(resolver({ strictHostKeyChecking: "accept-new" }, "StrictHostKeyChecking yes\n").resolve("h").hostKeyPolicy).toBe("accept-new");
  });

  test("timeouts and keepalives from ~/.ssh/config", () => {
    const t = resolver({}, "ConnectTimeout 5\nServerAliveInterval 15\nServerAliveCountMax 4\n").resolve("h");
    expect(t).toMatchObject({ connectTimeoutMs: 5000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 4 });
  });

  test("log_level debug turns on debug events", () => {
    expect(resolver({ logLevel: "debug" }).resolve("h").debug).toBe(true);
    expect(resolver({}).resolve("h").debug).toBe(false);
  });
});

describe("expandProxyCommand", () => {
  test("%h %p %r %%", () => {
    expect(expandProxyCommand("ssh -W %h:%p %r@gw 100%%", { hostname: "10.0.0.1", port: 2222, user: "app" })).toBe("ssh -W 10.0.0.1:2222 app@gw 100%");
  });
});
