import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandPath, hostPatternsMatch, loadSshConfig, lookupHost, parseSshConfig, splitArgs, wildcardMatch } from "../../../src/ssh/ssh-config.ts";

describe("patterns", () => {
  test("* and ? wildcards, case-insensitive", () => {
    expect(wildcardMatch("*.example.com", "web1.example.com")).toBe(true);
    expect(wildcardMatch("*.example.com", "example.com")).toBe(false);
    expect(wildcardMatch("web?", "web1")).toBe(true);
    expect(wildcardMatch("web?", "web10")).toBe(false);
    expect(wildcardMatch("WEB*", "web1")).toBe(true);
    expect(wildcardMatch("10.0.0.*", "10.0.0.5")).toBe(true);
    expect(wildcardMatch("10.0.0.*", "10.0.1.5")).toBe(false);
  });

  test("a negated pattern excludes even when another matches", () => {
    expect(hostPatternsMatch(["*.example.com", "!db.example.com"], "web.example.com")).toBe(true);
    expect(hostPatternsMatch(["*.example.com", "!db.example.com"], "db.example.com")).toBe(false);
    expect(hostPatternsMatch(["!db.example.com"], "web.example.com")).toBe(false);
  });

  test("splitArgs honours double quotes", () => {
    expect(splitArgs(`a "b c"  d`)).toEqual(["a", "b c", "d"]);
    expect(splitArgs(`"/path with space/key"`)).toEqual(["/path with space/key"]);
  });
});

const CONFIG = `
# comment
Host bastion
  HostName bastion.example.com
  User jump
  Port 2200

Host web* !web-old
  HostName %h.internal
  User deploy
  IdentityFile ~/.ssh/web_key
  ProxyJump bastion
  StrictHostKeyChecking accept-new

Host web-old
  Port 2222

Host *.example.com
  User=ops
  Port = 2022
  UserKnownHostsFile ~/.ssh/kh_a ~/.ssh/kh_b

Match exec "true"
  User never

Host *
  IdentityFile ~/.ssh/id_common
  User fallback
  ServerAliveInterval 10
  ConnectTimeout 7
  IdentitiesOnly yes
`;

describe("lookupHost", () => {
  const blocks = parseSshConfig(CONFIG);

  test("first value wins; IdentityFile accumulates", () => {
    const web = lookupHost(blocks, "web1");
    expect(web).toMatchObject({ hostName: "%h.internal", user: "deploy", proxyJump: "bastion", strictHostKeyChecking: "accept-new" });
    expect(web.identityFiles).toEqual(["~/.ssh/web_key", "~/.ssh/id_common"]);
    expect(web.port).toBeUndefined();
    expect(web.serverAliveInterval).toBe(10);
    expect(web.connectTimeout).toBe(7);
    expect(web.identitiesOnly).toBe(true);
  });

  test("negation skips the block", () => {
    const old = lookupHost(blocks, "web-old");
    expect(old.user).toBe("fallback");
    expect(old.port).toBe(2222);
    expect(old.proxyJump).toBeUndefined();
  });

  test("key=value syntax and lists", () => {
    const h = lookupHost(blocks, "app.example.com");
    expect(h).toMatchObject({ user: "ops", port: 2022, userKnownHostsFiles: ["~/.ssh/kh_a", "~/.ssh/kh_b"] });
  });

  test("Match blocks other than Match all are skipped", () => {
    expect(lookupHost(blocks, "other").user).toBe("fallback");
    expect(lookupHost(parseSshConfig("Match all\n  User everyone\n"), "x").user).toBe("everyone");
  });

  test("keywords are case-insensitive", () => {
    expect(lookupHost(parseSshConfig("HOST a\n  HOSTNAME b\n  port 23\n"), "a")).toMatchObject({ hostName: "b", port: 23 });
  });

  test("StrictHostKeyChecking values", () => {
    const v = (s: string) => lookupHost(parseSshConfig(`StrictHostKeyChecking ${s}`), "h").strictHostKeyChecking;
    expect(v("yes")).toBe("yes");
    expect(v("ask")).toBe("yes");
    expect(v("accept-new")).toBe("accept-new");
    expect(v("no")).toBe("no");
    expect(v("off")).toBe("no");
  });
});

describe("expandPath", () => {
  test("~ and %-tokens", () => {
    const ctx = { home: "/home/me", host: "h.example", port: 2222, user: "deploy", localUser: "me" };
    expect(expandPath("~/.ssh/id", ctx)).toBe("/home/me/.ssh/id");
    expect(expandPath("%d/.ssh/%r@%h:%p-%u%%", ctx)).toBe("/home/me/.ssh/deploy@h.example:2222-me%");
    expect(expandPath("/abs/~x", ctx)).toBe("/abs/~x");
  });
});

describe("loadSshConfig", () => {
  test("reads files in order, skips missing ones, follows Include (relative to ~/.ssh, with globs)", () => {
    const home = mkdtempSync(join(tmpdir(), "sx-sshcfg-"));
    mkdirSync(join(home, ".ssh", "conf.d"), { recursive: true });
    writeFileSync(join(home, ".ssh", "config"), "Include conf.d/*.conf\nHost a\n  User from-main\n  Port 1\n");
    writeFileSync(join(home, ".ssh", "conf.d", "10.conf"), "Host a\n  User from-include\n");
    writeFileSync(join(home, ".ssh", "conf.d", "20.conf"), "Host b\n  User b-user\n");
    writeFileSync(join(home, "extra"), "Host a\n  HostName a.example\n  Port 9\n");
    const blocks = loadSshConfig([join(home, ".ssh", "config"), join(home, "missing"), join(home, "extra")], home);
    expect(lookupHost(blocks, "a")).toMatchObject({ user: "from-include", port: 1, hostName: "a.example" });
    expect(lookupHost(blocks, "b").user).toBe("b-user");
  });

  test("an Include inside a Host block applies only to that host", () => {
    const home = mkdtempSync(join(tmpdir(), "sx-sshcfg-"));
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".ssh", "config"), "Host a\n  Include inc\n  Port 5\nHost *\n  User all\n");
    writeFileSync(join(home, ".ssh", "inc"), "User inc-user\n");
    const blocks = loadSshConfig([join(home, ".ssh", "config")], home);
    expect(lookupHost(blocks, "a")).toMatchObject({ user: "inc-user", port: 5 });
    expect(lookupHost(blocks, "b")).toMatchObject({ user: "all" });
    expect(lookupHost(blocks, "b").port).toBeUndefined();
  });
});
