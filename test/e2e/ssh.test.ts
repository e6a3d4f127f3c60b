/**
 * The SSH layer against the test bed's real sshd hosts: one connection per host reused for every
 * command, hosts in parallel, stdin and streamed output, typed errors, SFTP uploads with modes,
 * host key checking, jump hosts and proxy commands. What sextant did is checked a second way
 * through the system ssh client where it matters.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utils } from "ssh2";
import { type ConnectionSettings, SshCommandError, SshConnectError, type SshEvent, SshHostKeyError, SshMultiHostError, SshPool, SshTimeoutError } from "../../src/ssh/index.ts";
import { onHost, repoRoot, run, runOk, testbed } from "../support/testbed.ts";
import { waitFor } from "../support/wait.ts";

const bed = testbed();
const [host1, host2] = bed.hosts as [string, string];
const scratch = mkdtempSync(join(tmpdir(), "sx-ssh-e2e-"));
const remoteDir = `/tmp/sx-ssh-e2e-${process.pid}`;

/** Settings that reach the bed with its key and known_hosts only (nothing from ~/.ssh). */
function settings(extra: ConnectionSettings = {}): ConnectionSettings {
  return { keys: [bed.sshKey], keysOnly: true, knownHostsFiles: [bed.knownHosts], config: false, connectTimeoutMs: 5000, ...extra };
}

/** Run `fn` with a pool that is always closed. */
async function withPool<T>(s: ConnectionSettings, fn: (pool: SshPool, events: SshEvent[]) => Promise<T>, redact?: (t: string) => string): Promise<T> {
  const events: SshEvent[] = [];
  const pool = new SshPool(s, { onEvent: (e) => events.push(e), redact });
  try {
    return await fn(pool, events);
  } finally {
    await pool.closeAll();
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await Promise.all([host1, host2].map((h) => onHost(bed, h, `rm -rf ${remoteDir}`)));
});

describe("commands", () => {
  test("connects and runs commands given as argv or shell strings", async () => {
    await withPool(settings(), async (pool) => {
      const ssh = await pool.get(host1);
      expect(await ssh.capture("hostname")).toBe("host1");
      expect(await ssh.capture(["id", "-u"])).toBe("0");
      expect(await ssh.capture(["printf", "%s|", "a b", "it's", "$HOME"])).toBe("a b|it's|$HOME|");
      expect(await ssh.capture("echo $HOME | tr a-z A-Z")).toBe("/ROOT");
      expect(await ssh.test("test -d /root")).toBe(true);
      expect(await ssh.test("test -d /nonexistent")).toBe(false);
    });
  });

  test("every command of a run goes over one connection per host", async () => {
    await withPool(settings(), async (pool, events) => {
      const ssh = await pool.get(host1);
      // The shell's parent is the sshd process serving the connection: one connection, one parent.
      const parents = new Set<string>();
      for (let i = 0; i < 6; i++) parents.add(await ssh.capture("echo $PPID"));
      const concurrent = await Promise.all(Array.from({ length: 30 }, (_, i) => pool.get(host1).then((c) => c.capture(`echo ${i}`))));
      expect(concurrent).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
      expect(parents.size).toBe(1);
      expect(pool.connectionsOpened).toBe(1);
      expect(events.filter((e) => e.type === "connect")).toHaveLength(1);
      expect(events.filter((e) => e.type === "exec")).toHaveLength(36);
      // The system ssh client, a separate connection, sees a different sshd.
      const other = (await onHost(bed, host1, "echo $PPID")).stdout.trim();
      expect(parents.has(other)).toBe(false);
    });
  });

  test("hosts run in parallel, bounded by the limit; failures name their hosts", async () => {
    await withPool(settings({ maxConcurrentStarts: 1 }), async (pool) => {
      // Parallel or not is counted, not timed: how many hosts' commands were running at once.
      const overlap = () => {
        const counter = { active: 0, peak: 0 };
        const track = async <T>(work: Promise<T>): Promise<T> => {
          counter.peak = Math.max(counter.peak, ++counter.active);
          try {
            return await work;
          } finally {
            counter.active--;
          }
        };
        return { counter, track };
      };
      const both = overlap();
      const names = await pool.onHosts([host1, host2], (ssh) => both.track(ssh.capture("sleep 1; hostname")));
      expect(names).toEqual(["host1", "host2"]);
      expect(both.counter.peak).toBe(2);

      const oneByOne = overlap();
      await pool.onHosts([host1, host2], (ssh) => oneByOne.track(ssh.exec("sleep 0.5")), { limit: 1 });
      expect(oneByOne.counter.peak).toBe(1);

      const error = await rejection(pool.onHosts([host1, host2], (ssh) => ssh.exec(`test "$(hostname)" = host1 || { echo broken on $(hostname) >&2; exit 7; }`)));
      expect(error).toBeInstanceOf(SshMultiHostError);
      expect(error.message).toStartWith(`Exception while executing on host ${host2}: Command on ${host2} exited with status 7`);
      expect(error.message).toContain("broken on host2");
      expect(pool.connectionsOpened).toBe(2);
    });
  });

  test("stdin, large outputs and streamed output", async () => {
    await withPool(settings(), async (pool) => {
      const ssh = await pool.get(host2);
      const input = Buffer.alloc(2 * 1024 * 1024, "sextant\n");
      const sum = createHash("sha256").update(input).digest("hex");
      expect(await ssh.capture("sha256sum | cut -d' ' -f1", { stdin: input })).toBe(sum);
      expect((await ssh.capture("head -c 3000000 /dev/zero | tr '\\0' x")).length).toBe(3_000_000);

      // Streamed, not timed: the command prints "two" only after the test has seen "one", so output
      // collected only at the end would never finish (the timeout below turns that into a failure).
      const go = `/tmp/sextant-stream-${process.pid}`;
      const chunks: string[] = [];
      const errs: string[] = [];
      const result = await ssh.exec(`rm -f ${go}; echo one; echo warn >&2; for i in $(seq 200); do [ -e ${go} ] && break; sleep 0.05; done; [ -e ${go} ] && echo two; rm -f ${go}`, {
        onStdout: (text) => {
          if (chunks.push(text) === 1) void ssh.exec(`touch ${go}`);
        },
        onStderr: (text) => errs.push(text),
      });
      expect(result).toEqual({ code: 0, signal: undefined, stdout: "one\ntwo\n", stderr: "warn\n" });
      expect(chunks[0]).toBe("one\n");
      expect(errs.join("")).toBe("warn\n");
    });
  });

  test("a failing command is a typed error with host, command (redacted), status and stderr", async () => {
    await withPool(
      settings(),
      async (pool, events) => {
        const ssh = await pool.get(host1);
        const error = await rejection(ssh.exec("echo s3cret-token >/dev/null; echo 'no such image' >&2; exit 3"));
        expect(error).toBeInstanceOf(SshCommandError);
        const e = error as SshCommandError;
        expect(e).toMatchObject({ host: host1, code: 3, stderr: "no such image\n" });
        expect(e.command).toBe("echo [REDACTED] >/dev/null; echo 'no such image' >&2; exit 3");
        expect(e.message).toBe(`Command on ${host1} exited with status 3: ${e.command}\nno such image`);
        expect(JSON.stringify(events)).not.toContain("s3cret");
        expect(events.find((ev) => ev.type === "exit")).toMatchObject({ code: 3 });

        const allowed = await ssh.exec("exit 4", { allowFailure: true });
        expect(allowed.code).toBe(4);

        const env = await ssh.capture("echo $TOKEN", { env: { TOKEN: "s3cret-token" } });
        expect(env).toBe("s3cret-token");
        expect(JSON.stringify(events)).not.toContain("s3cret");
      },
      (text) => text.replaceAll("s3cret-token", "[REDACTED]"),
    );
  });

  test("a command past its timeout is stopped; the connection stays usable", async () => {
    await withPool(settings(), async (pool) => {
      const ssh = await pool.get(host1);
      const t = performance.now();
      const error = await rejection(ssh.exec("sleep 30", { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(SshTimeoutError);
      expect(error.message).toBe(`Command on ${host1} timed out after 300 ms: sleep 30`);
      expect(performance.now() - t).toBeLessThan(3000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      expect(await rejection(ssh.exec("sleep 30", { signal: controller.signal }))).toBeInstanceOf(SshTimeoutError);
      expect(await ssh.capture("echo still here")).toBe("still here");
      expect(pool.connectionsOpened).toBe(1);
    });
  });

  test("idle or dropped connections are reopened on demand, through the same handle", async () => {
    await withPool(settings({ poolIdleTimeoutMs: 100 }), async (pool) => {
      const ssh = await pool.get(host1);
      expect(await ssh.capture("hostname")).toBe("host1");
      await new Promise((r) => setTimeout(r, 150));
      await pool.closeIdle();
      expect(await ssh.capture("hostname")).toBe("host1");
      expect(pool.connectionsOpened).toBe(2);
      // Kill the sshd process serving this connection.
      const error = await rejection(ssh.exec("kill -9 $PPID; sleep 5"));
      expect(error).toBeInstanceOf(SshCommandError);
      expect(error.message).toBe(`Command on ${host1} ended without an exit status (the connection was lost): kill -9 $PPID; sleep 5`);
      // Right away: the command may find the dropped connection, and is then run on a new one.
      expect(await ssh.capture("hostname")).toBe("host1");
      expect(pool.connectionsOpened).toBe(3);
    });
  });
});

describe("authentication", () => {
  test("key_data: a key given inline", async () => {
    await withPool(settings({ keys: [], keyData: [readFileSync(bed.sshKey, "utf8")] }), async (pool) => {
      expect(await (await pool.get(host1)).capture("hostname")).toBe("host1");
    });
  });

  test("ssh-agent (SSH_AUTH_SOCK), forwarded to the host", async () => {
    const sock = join(scratch, "agent.sock");
    const agent = Bun.spawn(["ssh-agent", "-D", "-a", sock], { stdout: "ignore", stderr: "ignore" });
    try {
      // Bun.file().exists() is false for a socket, so existsSync.
      await waitFor(() => existsSync(sock), "the agent's socket");
      await runOk(["ssh-add", bed.sshKey], { env: { SSH_AUTH_SOCK: sock } });
      // No key files at all: HOME has no .ssh, no keys configured.
      await withPool({ knownHostsFiles: [bed.knownHosts], config: false, env: { HOME: scratch, SSH_AUTH_SOCK: sock } }, async (pool) => {
        const ssh = await pool.get(host1);
        expect(await ssh.capture("hostname")).toBe("host1");
        // forward_agent (default true): the host can use the agent.
        expect(await ssh.capture('test -S "$SSH_AUTH_SOCK" && ssh-add -l | wc -l')).toBe("1");
      });
      await withPool({ knownHostsFiles: [bed.knownHosts], config: false, forwardAgent: false, env: { HOME: scratch, SSH_AUTH_SOCK: sock } }, async (pool) => {
        expect(await (await pool.get(host1)).capture('echo "[$SSH_AUTH_SOCK]"')).toBe("[]");
      });
    } finally {
      agent.kill();
      await agent.exited;
    }
  });

  test("no key at all says where it looked", async () => {
    await withPool({ knownHostsFiles: [bed.knownHosts], config: false, env: { HOME: scratch } }, async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toBe(
        `SSH connection to root@${host1} failed: no SSH key to log in with: none of ${scratch}/.ssh/id_ed25519, ${scratch}/.ssh/id_ecdsa, ${scratch}/.ssh/id_rsa exists, and no ssh-agent (SSH_AUTH_SOCK)`,
      );
    });
  });
});

describe("uploads", () => {
  test("content and local files over SFTP, with modes set before the content lands", async () => {
    await withPool(settings(), async (pool, events) => {
      const ssh = await pool.get(host2);
      await ssh.exec(["mkdir", "-p", remoteDir]);
      // An existing world-readable file becomes 0600 too.
      await ssh.exec(`echo old > ${remoteDir}/app.env && chmod 644 ${remoteDir}/app.env`);
      await ssh.upload('SECRET_KEY=abc\nOTHER="x y"\n', `${remoteDir}/app.env`, { mode: 0o600 });
      const local = join(scratch, "page.html");
      writeFileSync(local, "<h1>hi</h1>\n".repeat(10_000));
      await ssh.upload({ localPath: local }, `${remoteDir}/page.html`, { mode: 0o644 });
      await ssh.upload(new Uint8Array(0), `${remoteDir}/empty`, { mode: 0o640 });

      const seen = await onHost(bed, host2, `cd ${remoteDir} && stat -c '%n %a %s' app.env page.html empty && cat app.env && sha256sum page.html`);
      expect(seen.code).toBe(0);
      const lines = seen.stdout.trim().split("\n");
      expect(lines.slice(0, 3)).toEqual([`app.env 600 27`, `page.html 644 120000`, `empty 640 0`]);
      expect(lines.slice(3, 5)).toEqual(["SECRET_KEY=abc", 'OTHER="x y"']);
      expect(lines[5]!.split(" ")[0]).toBe(createHash("sha256").update(readFileSync(local)).digest("hex"));
      expect(events.filter((e) => e.type === "upload").map((e) => e.type === "upload" && e.mode)).toEqual([0o600, 0o644, 0o640]);
    });
  });

  test("an upload to a missing directory names the host and path", async () => {
    await withPool(settings(), async (pool) => {
      const ssh = await pool.get(host1);
      const error = await rejection(ssh.upload("x", "/nonexistent-dir/file", { mode: 0o600 }));
      expect(error.message).toStartWith(`Upload to ${host1}:/nonexistent-dir/file failed:`);
    });
  });
});

describe("host keys", () => {
  const bedKey = (host: string) =>
    readFileSync(bed.knownHosts, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${host} `))!;

  test("an unknown host key is refused with its fingerprint and the command that trusts it", async () => {
    const empty = join(scratch, "known_hosts_empty");
    writeFileSync(empty, "");
    // The fingerprint as OpenSSH computes it for the bed's key of host1.
    writeFileSync(join(scratch, "one"), `${bedKey(host1)}\n`);
    const expected = (await runOk(["ssh-keygen", "-lf", join(scratch, "one")])).stdout.split(" ")[1]!;
    await withPool(settings({ knownHostsFiles: [empty] }), async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error).toBeInstanceOf(SshHostKeyError);
      expect(error.message).toBe(`SSH connection to root@${host1} failed: host key not trusted: ssh-ed25519 ${expected} is not in ${empty}`);
      expect((error as SshHostKeyError).hint).toContain(`ssh-keyscan -t ed25519 ${host1} >> ${empty}`);
      expect(readFileSync(empty, "utf8")).toBe("");
    });
  });

  test("a changed host key is refused", async () => {
    const wrong = join(scratch, "known_hosts_wrong");
    const other = utils.parseKey(utils.generateKeyPairSync("ed25519").public);
    if (other instanceof Error) throw other;
    writeFileSync(wrong, `${host1} ssh-ed25519 ${other.getPublicSSH().toString("base64")}\n`);
    await withPool(settings({ knownHostsFiles: [wrong] }), async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error).toBeInstanceOf(SshHostKeyError);
      expect(error.message).toContain("the host key has CHANGED");
      expect(error.message).toContain(`${wrong}:1`);
    });
  });

  test("accept-new adds an unknown key to known_hosts; the next connection checks it", async () => {
    const file = join(scratch, "kh-accept", "known_hosts");
    await withPool(settings({ knownHostsFiles: [file], strictHostKeyChecking: "accept-new" }), async (pool, events) => {
      expect(await (await pool.get(host2)).capture("hostname")).toBe("host2");
      expect(events.find((e) => e.type === "host-key-added")).toMatchObject({ host: host2, keyType: "ssh-ed25519", file });
    });
    expect(readFileSync(file, "utf8")).toBe(`${bedKey(host2)}\n`);
    // The system ssh client trusts the file we wrote.
    const sys = await runOk(["ssh", "-i", bed.sshKey, "-o", `UserKnownHostsFile=${file}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `root@${host2}`, "hostname"]);
    expect(sys.stdout.trim()).toBe("host2");
    await withPool(settings({ knownHostsFiles: [file] }), async (pool) => {
      expect(await (await pool.get(host2)).capture("hostname")).toBe("host2");
    });
  });

  test("StrictHostKeyChecking accept-new from an ssh config file", async () => {
    const file = join(scratch, "kh-config");
    const config = join(scratch, "ssh_config");
    writeFileSync(config, `Host ${host1}\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ${file}\n  User root\n`);
    await withPool({ keys: [bed.sshKey], keysOnly: true, config: [config] }, async (pool) => {
      expect(await (await pool.get(host1)).capture("hostname")).toBe("host1");
    });
    expect(readFileSync(file, "utf8")).toBe(`${bedKey(host1)}\n`);
  });
});

describe("jump hosts and proxy commands", () => {
  test("ssh.proxy: host2 through host1", async () => {
    await withPool(settings({ proxy: `root@${host1}` }), async (pool, events) => {
      const ssh = await pool.get(host2);
      expect(await ssh.capture("hostname")).toBe("host2");
      // host2's sshd sees the connection coming from host1.
      expect((await ssh.capture("echo $SSH_CLIENT")).split(" ")[0]).toBe(host1);
      expect(events.find((e) => e.type === "connect")).toMatchObject({ host: host2, via: `root@${host1}` });
    });
  });

  test("ProxyJump from an ssh config file", async () => {
    const config = join(scratch, "ssh_config_jump");
    writeFileSync(config, `Host target\n  HostName ${host2}\n  ProxyJump root@${host1}\n`);
    await withPool(settings({ config: [config] }), async (pool) => {
      const ssh = await pool.get("target");
      expect(await ssh.capture("hostname")).toBe("host2");
      expect((await ssh.capture("echo $SSH_CLIENT")).split(" ")[0]).toBe(host1);
    });
  });

  test("ssh.proxy_command: host2 through `ssh -W` on host1", async () => {
    const proxyCommand = `ssh -i ${bed.sshKey} -o UserKnownHostsFile=${bed.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes -W %h:%p root@${host1}`;
    await withPool(settings({ proxyCommand }), async (pool) => {
      const ssh = await pool.get(host2);
      expect(await ssh.capture("hostname")).toBe("host2");
      expect((await ssh.capture("echo $SSH_CLIENT")).split(" ")[0]).toBe(host1);
    });
  });

  test("a jump host that can't reach the target says so", async () => {
    await withPool(settings({ proxy: `root@${host1}`, port: 2 }), async (pool) => {
      const error = await rejection(pool.get(host2));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toContain(`the jump host could not open a connection to ${host2}:2`);
    });
  });
});

describe("connection failures", () => {
  test("connection refused names the host and port", async () => {
    await withPool(settings({ port: 2 }), async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toBe(`SSH connection to root@${host1}:2 failed: connection refused by ${host1}:2 (is sshd running on port 2?)`);
      expect((error as SshConnectError).reason).toBe("connect");
    });
  });

  test("an unreachable host fails within the connect timeout", async () => {
    const nowhere = host1.replace(/\.\d+$/, ".250");
    await withPool(settings({ connectTimeoutMs: 1500 }), async (pool) => {
      const t = performance.now();
      const error = await rejection(pool.get(nowhere));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toStartWith(`SSH connection to root@${nowhere} failed: `);
      expect(["timeout", "connect"]).toContain((error as SshConnectError).reason);
      expect(performance.now() - t).toBeLessThan(5000);
    });
  });

  test("a name that doesn't resolve is a DNS error (after sshkit.dns_retries)", async () => {
    await withPool(settings({ dnsRetries: 1 }), async (pool) => {
      const error = await rejection(pool.get("nonexistent.invalid"));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toStartWith("SSH connection to root@nonexistent.invalid failed: can't resolve nonexistent.invalid");
      expect((error as SshConnectError).reason).toBe("dns");
    });
  });

  test("log_level debug reports ssh2's handshake details as events", async () => {
    await withPool(settings({ logLevel: "debug" }), async (pool, events) => {
      await pool.get(host1);
      const debug = events.filter((e) => e.type === "debug").map((e) => (e.type === "debug" ? e.message : ""));
      expect(debug.some((m) => /KEX algorithm: curve25519-sha256/.test(m))).toBe(true);
    });
  });

  test("a key the host doesn't accept is an authentication error", async () => {
    const key = join(scratch, "stranger");
    writeFileSync(key, utils.generateKeyPairSync("ed25519").private, { mode: 0o600 });
    await withPool(settings({ keys: [key] }), async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error).toBeInstanceOf(SshConnectError);
      expect(error.message).toBe(`SSH connection to root@${host1} failed: authentication failed for root (tried ${key})`);
      expect((error as SshConnectError).hint).toContain("authorized_keys");
    });
  });

  test("the wrong user is an authentication error naming the user", async () => {
    await withPool(settings({ user: "nobody" }), async (pool) => {
      const error = await rejection(pool.get(host1));
      expect(error.message).toStartWith(`SSH connection to nobody@${host1} failed: authentication failed for nobody`);
    });
  });
});

describe("runtimes", () => {
  test("the same code connects, runs and uploads under Deno 2", async () => {
    const script = `
      import { SshPool } from "./src/ssh/index.ts";
      const pool = new SshPool({ keys: [${JSON.stringify(bed.sshKey)}], keysOnly: true, knownHostsFiles: [${JSON.stringify(bed.knownHosts)}], config: false, proxy: "root@${host1}" });
      try {
        const ssh = await pool.get("${host2}");
        await ssh.upload("X=1\\n", "${remoteDir}-deno.env", { mode: 0o600 });
        console.log(await ssh.capture("hostname; stat -c %a ${remoteDir}-deno.env; rm ${remoteDir}-deno.env"));
      } finally {
        await pool.closeAll();
      }`;
    const result = await run([join(repoRoot, "node_modules/.bin/deno"), "eval", "--ext=ts", script], { cwd: repoRoot, timeoutMs: 60_000 });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: "host2\n600\n", stderr: "" });
  });
});
