import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendKnownHost, checkHostKey, entryMatches, fingerprint, hashHostName, keyTypeOfBlob, knownHostsName, knownKeyTypes, parseKnownHosts, readKnownHosts } from "../../../src/ssh/known-hosts.ts";

// Throwaway public keys, with the fingerprints `ssh-keygen -lf` prints for them.
const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIDhth6K008tKGumHhWMW0RX1rBJRSO4Yt3Fla66YZteK";
const ED_FP = "SHA256:8n7PFPlLv9kCaqmT4Ivcay6xGO8MYngiNqM2cP8j0XI";
const EC = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLLDA9LOxkpIznaaoCR/0jYOhtUCF0uMDlFusYHvW+i1sKrY0ZssS4d3zPuwpPUnWE3y73jNUYcwKNW/xFtHT/0=";
const EC_FP = "SHA256:C5Zm+0YhlSpOV646Swb3St1zH3A9F5IQRIZyl3F4YZc";
// Another ed25519 key (a "changed" host key).
const ED2 = "AAAAC3NzaC1lZDI1NTE5AAAAIDkgXWoxhlFcsaljt8YvV+Ise/fL8mqNv/2gQiU2Jt95";
// `ssh-keygen -H` of "example.com ssh-ed25519 ED".
const HASHED = "|1|sPUFHWM6oiREgv6fdQk3FgoJ9lA=|etQfb/ntw+vadhr/PRfUEQsGcjU=";

const blob = (b64: string) => Buffer.from(b64, "base64");

describe("fingerprints and key types", () => {
  test("SHA256 fingerprints like OpenSSH prints them", () => {
    expect(fingerprint(blob(ED))).toBe(ED_FP);
    expect(fingerprint(blob(EC))).toBe(EC_FP);
  });

  test("the key type inside a blob", () => {
    expect(keyTypeOfBlob(blob(ED))).toBe("ssh-ed25519");
    expect(keyTypeOfBlob(blob(EC))).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOfBlob(new Uint8Array([0, 0]))).toBe("unknown");
  });
});

describe("host names", () => {
  test("[host]:port for non-standard ports", () => {
    expect(knownHostsName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(knownHostsName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
  });

  test("hashed names: matches what ssh-keygen -H wrote; our own hashes round-trip", () => {
    expect(entryMatches([HASHED], "example.com", 22)).toBe(true);
    expect(entryMatches([HASHED], "example.org", 22)).toBe(false);
    expect(entryMatches([HASHED], "example.com", 2222)).toBe(false);
    const mine = hashHostName("[h.example]:2200");
    expect(mine).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
    expect(entryMatches([mine], "h.example", 2200)).toBe(true);
  });

  test("plain lists, wildcards, negation, ports", () => {
    expect(entryMatches(["a.example", "10.0.0.1"], "10.0.0.1", 22)).toBe(true);
    expect(entryMatches(["10.0.0.1"], "10.0.0.1", 2222)).toBe(false);
    expect(entryMatches(["[10.0.0.1]:2222"], "10.0.0.1", 2222)).toBe(true);
    expect(entryMatches(["*.example.com", "!db.example.com"], "web.example.com", 22)).toBe(true);
    expect(entryMatches(["*.example.com", "!db.example.com"], "db.example.com", 22)).toBe(false);
    expect(entryMatches(["Web.Example.com"], "web.example.COM", 22)).toBe(true);
  });
});

describe("checkHostKey", () => {
  const text = [
    "# comment",
    `${HASHED} ssh-ed25519 ${ED}`,
    `10.0.0.1,web1 ssh-ed25519 ${ED}`,
    `[10.0.0.1]:2222 ecdsa-sha2-nistp256 ${EC}`,
    `@revoked * ssh-ed25519 ${ED2}`,
    `@cert-authority *.example.com ssh-ed25519 ${ED2}`,
    "garbage line",
    "",
  ].join("\n");
  const entries = parseKnownHosts(text, "kh");

  test("parses entries, skipping comments and malformed lines", () => {
    expect(entries.map((e) => [e.marker, e.keyType, e.line])).toEqual([
      [undefined, "ssh-ed25519", 2],
      [undefined, "ssh-ed25519", 3],
      [undefined, "ecdsa-sha2-nistp256", 4],
      ["revoked", "ssh-ed25519", 5],
      ["cert-authority", "ssh-ed25519", 6],
    ]);
  });

  test("known, by plain or hashed name", () => {
    expect(checkHostKey(entries, "10.0.0.1", 22, blob(ED)).status).toBe("known");
    expect(checkHostKey(entries, "web1", 22, blob(ED)).status).toBe("known");
    expect(checkHostKey(entries, "example.com", 22, blob(ED)).status).toBe("known");
    expect(checkHostKey(entries, "10.0.0.1", 2222, blob(EC)).status).toBe("known");
  });

  test("unknown host, or a host known only with keys of another type", () => {
    expect(checkHostKey(entries, "10.0.0.9", 22, blob(ED)).status).toBe("unknown");
    expect(checkHostKey(entries, "10.0.0.1", 2222, blob(ED)).status).toBe("unknown");
  });

  test("a different key of the same type is a mismatch; revoked keys are refused", () => {
    const entriesNoRevoke = entries.filter((e) => e.marker !== "revoked");
    const r = checkHostKey(entriesNoRevoke, "10.0.0.1", 22, blob(ED2));
    expect(r.status).toBe("mismatch");
    expect(r.status === "mismatch" && r.entries.map((e) => `${e.file}:${e.line}`)).toEqual(["kh:3"]);
    expect(checkHostKey(entries, "10.0.0.1", 22, blob(ED2)).status).toBe("revoked");
  });

  test("known key types for a host, to prefer them in negotiation", () => {
    expect(knownKeyTypes(entries, "10.0.0.1", 2222)).toEqual(["ecdsa-sha2-nistp256"]);
    expect(knownKeyTypes(entries, "10.0.0.1", 22)).toEqual(["ssh-ed25519"]);
    expect(knownKeyTypes(entries, "nowhere", 22)).toEqual([]);
  });
});

describe("appendKnownHost", () => {
  test("creates the directory and file, appends lines ssh understands, plain or hashed", () => {
    const dir = mkdtempSync(join(tmpdir(), "sx-kh-"));
    const file = join(dir, "sub", "known_hosts");
    appendKnownHost(file, "10.0.0.5", 22, blob(ED));
    expect(statSync(join(dir, "sub")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, `${readFileSync(file, "utf8").trimEnd()}`); // no trailing newline
    appendKnownHost(file, "10.0.0.6", 2222, blob(EC), { hash: true });
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).toBe(`10.0.0.5 ssh-ed25519 ${ED}`);
    expect(text.split("\n")[1]).toMatch(/^\|1\|\S+ ecdsa-sha2-nistp256 /);
    const entries = readKnownHosts([file, join(dir, "missing")]);
    expect(checkHostKey(entries, "10.0.0.5", 22, blob(ED)).status).toBe("known");
    expect(checkHostKey(entries, "10.0.0.6", 2222, blob(EC)).status).toBe("known");
    expect(checkHostKey(entries, "10.0.0.6", 22, blob(EC)).status).toBe("unknown");
  });

  test("ssh-keygen finds the hashed entry we wrote", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sx-kh-"));
    const file = join(dir, "known_hosts");
    appendKnownHost(file, "h.example", 2200, blob(ED), { hash: true });
    const proc = Bun.spawn(["ssh-keygen", "-F", "[h.example]:2200", "-f", file], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toContain(ED);
  });
});
