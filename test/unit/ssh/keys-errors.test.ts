import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utils } from "ssh2";
import { SshCommandError, SshConnectError, SshHostKeyError, SshMultiHostError, tailLines } from "../../../src/ssh/errors.ts";
import { authMethods, planAuth } from "../../../src/ssh/keys.ts";
import { SshResolver } from "../../../src/ssh/options.ts";
import { mapLimit } from "../../../src/ssh/pool.ts";
import { parseSshConfig } from "../../../src/ssh/ssh-config.ts";

describe("planAuth", () => {
  const dir = mkdtempSync(join(tmpdir(), "sx-keys-"));
  const plain = utils.generateKeyPairSync("ed25519");
  const encrypted = utils.generateKeyPairSync("ed25519", { passphrase: "pw", cipher: "aes256-cbc", rounds: 4 });
  writeFileSync(join(dir, "plain"), plain.private);
  writeFileSync(join(dir, "plain-again"), plain.private);
  writeFileSync(join(dir, "encrypted"), encrypted.private);
  writeFileSync(join(dir, "public"), plain.public);
  const target = (settings: ConstructorParameters<typeof SshResolver>[0]) => new SshResolver({ env: { HOME: dir, SSH_AUTH_SOCK: "/tmp/agent" }, ...settings }, parseSshConfig("")).resolve("h");

  test("loads key files, skips missing ones silently, duplicates once, encrypted/public with a reason", () => {
    const plan = planAuth(target({ keys: ["missing", join(dir, "plain"), join(dir, "plain-again"), join(dir, "encrypted"), join(dir, "public")] }));
    expect(plan.keys.map((k) => k.source)).toEqual([join(dir, "plain")]);
    expect(plan.skipped.join("\n")).toMatch(/encrypted.*ssh-add/);
    expect(plan.skipped.join("\n")).toMatch(/public.*not a private key/);
    expect(plan.agent).toBe("/tmp/agent");
    expect(authMethods(plan, "root").map((m) => m.type)).toEqual(["publickey", "agent"]);
  });

  test("key_data comes first; invalid key_data is an error", () => {
    const plan = planAuth(target({ keyData: [plain.private], keysOnly: true }));
    expect(plan.keys.map((k) => k.source)).toEqual(["ssh.key_data[0]"]);
    expect(plan.agent).toBeUndefined();
    expect(() => planAuth(target({ keyData: ["not a key"] }))).toThrow(/Invalid SSH key: ssh.key_data\[0\]/);
  });
});

describe("errors", () => {
  test("a command error names the host, the command, the status and the end of stderr", () => {
    const e = new SshCommandError({ host: "10.0.0.1", command: "docker login -p [REDACTED]", code: 1, stdout: "", stderr: `${"x\n".repeat(50)}denied: bad password\n` });
    expect(e.message).toStartWith("Command on 10.0.0.1 exited with status 1: docker login -p [REDACTED]\n");
    expect(e.message).toEndWith("denied: bad password");
    expect(e.message.split("\n").length).toBeLessThanOrEqual(12);
  });

  test("a killed command", () => {
    expect(new SshCommandError({ host: "h", command: "sleep 9", code: null, signal: "KILL", stdout: "", stderr: "" }).message).toBe("Command on h was killed by signal KILL: sleep 9");
  });

  test("connect errors carry host, user, port and a hint", () => {
    const e = new SshConnectError({ host: "10.0.0.1", user: "app", port: 2222 }, "auth", "authentication failed");
    expect(e.message).toBe("SSH connection to app@10.0.0.1:2222 failed: authentication failed");
    expect(e.hint).toContain("authorized_keys");
    expect(e).toMatchObject({ host: "10.0.0.1", user: "app", port: 2222, reason: "auth" });
  });

  test("host key errors show the fingerprint and how to trust it", () => {
    const e = new SshHostKeyError(
      { host: "h", user: "root", port: 22 },
      { fingerprint: "SHA256:abc", keyType: "ssh-ed25519", mismatch: false, knownHostsFiles: ["~/.ssh/known_hosts"], trustCommand: "ssh-keyscan -t ed25519 h >> ~/.ssh/known_hosts" },
    );
    expect(e.message).toContain("SHA256:abc");
    expect(e.hint).toContain("ssh-keyscan -t ed25519 h >> ~/.ssh/known_hosts");
    expect(e).toBeInstanceOf(SshConnectError);
  });

  test("multi-host errors in Kamal's words, hints kept", () => {
    const one = new SshMultiHostError(new Map([["h1", new SshConnectError({ host: "h1", user: "root", port: 22 }, "connect", "refused")]]));
    expect(one.message).toStartWith("Exception while executing on host h1: SSH connection to root@h1 failed");
    expect(one.hint).toContain("sshd");
    const two = new SshMultiHostError(
      new Map<string, unknown>([
        ["h1", new Error("a")],
        ["h2", new Error("b")],
      ]),
    );
    expect(two.message).toBe("Exceptions on 2 hosts:\nh1: a\nh2: b");
  });

  test("tailLines", () => {
    expect(tailLines("a\nb\nc", 2, 100)).toBe("…\nb\nc");
    expect(tailLines("abcdef", 5, 3)).toBe("…def");
    expect(tailLines("a", 5, 100)).toBe("a");
  });
});

describe("mapLimit", () => {
  test("bounds concurrency, keeps order, collects failures", async () => {
    let active = 0;
    let peak = 0;
    const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5 * (8 - n)));
      active--;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([10, 20, 30, "four", 50, 60, 70]);
  });
});
