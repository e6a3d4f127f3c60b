import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArchiveFile, describeSave, fileHeader, indexTar, omittedPaths, trimmedChunks, trimPlan, untaggedManifest } from "../../../src/delivery/archive.ts";

const root = mkdtempSync(join(tmpdir(), "sextant-archive-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

function write(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A tar made by GNU tar (as `docker save` would lay it out), in `format`. */
function makeTar(name: string, files: Record<string, string>, format = "ustar"): string {
  const dir = join(root, name);
  write(dir, files);
  const out = join(root, `${name}.tar`);
  const r = spawnSync("tar", [`--format=${format}`, "-cf", out, "-C", dir, "."]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return out;
}

function tarList(path: string): string[] {
  return spawnSync("tar", ["-tf", path])
    .stdout.toString()
    .trim()
    .split("\n")
    .map((n) => n.replace(/^\.\//, "").replace(/\/$/, ""))
    .filter((n) => n !== "." && n !== "")
    .sort();
}

async function writeTrimmed(file: ArchiveFile, plan: ReturnType<typeof trimPlan>, out: string): Promise<number> {
  const parts: Uint8Array[] = [];
  let counted = 0;
  for await (const chunk of trimmedChunks(file, plan, (n) => (counted += n), 1000)) parts.push(chunk);
  writeFileSync(out, Buffer.concat(parts));
  return counted;
}

// Docker ≤ 24 layout: <v1 id>/{layer.tar,json,VERSION}, <config hex>.json, manifest.json, repositories.
const layerA = "a".repeat(3000);
const layerB = "b".repeat(700);
const config = JSON.stringify({ rootfs: { type: "layers", diff_ids: [`sha256:${sha(layerA)}`, `sha256:${sha(layerB)}`] } });
const configName = `${sha(config)}.json`;
const legacy = {
  "1111/layer.tar": layerA,
  "1111/json": "{}",
  "1111/VERSION": "1.0",
  "2222/layer.tar": layerB,
  "2222/json": "{}",
  "2222/VERSION": "1.0",
  [configName]: config,
  "manifest.json": JSON.stringify([{ Config: configName, RepoTags: ["app:v2"], Layers: ["1111/layer.tar", "2222/layer.tar"] }]),
  repositories: '{"app":{"v2":"2222"}}',
};

describe("a docker save archive (Docker ≤ 24 layout)", () => {
  const path = makeTar("legacy", legacy);
  const file = new ArchiveFile(path);
  const image = describeSave(indexTar(file.read), file.read);

  test("is read: layers, diff IDs and the image ID (the config's sha256)", () => {
    expect(image.layerPaths).toEqual(["1111/layer.tar", "2222/layer.tar"]);
    expect(image.diffIds).toEqual([`sha256:${sha(layerA)}`, `sha256:${sha(layerB)}`]);
    expect(image.imageId).toBe(`sha256:${sha(config)}`);
    const entry = image.entries.find((e) => e.name === "1111/layer.tar")!;
    expect(new TextDecoder().decode(file.read(entry.dataStart, entry.size))).toBe(layerA);
  });

  test("leaves out the whole directory of a layer the server has, the old manifest and the tag file", () => {
    expect([...omittedPaths(image, [1])].sort()).toEqual(["1111", "1111/VERSION", "1111/json", "1111/layer.tar", "manifest.json", "repositories"]);
  });

  test("the trimmed archive is a valid tar with the missing layer, the config and an untagged manifest", async () => {
    const plan = trimPlan(image, [1]);
    const out = join(root, "legacy-trimmed.tar");
    const counted = await writeTrimmed(file, plan, out);
    expect(counted).toBe(plan.bytes);
    expect(readFileSync(out).length).toBe(plan.bytes);
    expect(tarList(out)).toEqual(["2222", "2222/VERSION", "2222/json", "2222/layer.tar", configName, "manifest.json"].sort());
    const manifest = JSON.parse(spawnSync("tar", ["-xOf", out, "manifest.json"]).stdout.toString());
    expect(manifest).toEqual([{ Config: configName, RepoTags: null, Layers: ["1111/layer.tar", "2222/layer.tar"] }]);
    expect(spawnSync("tar", ["-xOf", out, "./2222/layer.tar"]).stdout.toString()).toBe(layerB);
    expect(plan.layerBytes).toBe(layerB.length);
    // Far smaller than the whole archive: the big layer stayed home.
    expect(plan.bytes).toBeLessThan(readFileSync(path).length - layerA.length);
  });

  test("with nothing missing only the config and the manifest go", () => {
    const plan = trimPlan(image, []);
    expect(plan.layerBytes).toBe(0);
    expect(untaggedManifest(image)).toBe(JSON.stringify([{ Config: configName, RepoTags: null, Layers: image.layerPaths }]));
  });
});

describe("a docker save archive (Docker ≥ 25, OCI layout)", () => {
  // Two layers with the same content share one blob; only one of them is missing on the server.
  const blob = "c".repeat(1000);
  const ociConfig = JSON.stringify({ rootfs: { type: "layers", diff_ids: [`sha256:${sha(layerA)}`, `sha256:${sha(blob)}`, `sha256:${sha(blob)}`] } });
  const path = makeTar("oci", {
    [`blobs/sha256/${sha(layerA)}`]: layerA,
    [`blobs/sha256/${sha(blob)}`]: blob,
    ["blobs/sha256/" + sha(ociConfig)]: ociConfig,
    "index.json": "{}",
    "oci-layout": '{"imageLayoutVersion":"1.0.0"}',
    "manifest.json": JSON.stringify([{ Config: `blobs/sha256/${sha(ociConfig)}`, RepoTags: ["app:v3"], Layers: [`blobs/sha256/${sha(layerA)}`, `blobs/sha256/${sha(blob)}`, `blobs/sha256/${sha(blob)}`] }]),
  });
  const file = new ArchiveFile(path);
  const image = describeSave(indexTar(file.read), file.read);

  test("a blob still needed by a missing layer is kept", () => {
    const omitted = omittedPaths(image, [2]);
    expect(omitted.has(`blobs/sha256/${sha(layerA)}`)).toBe(true);
    expect(omitted.has(`blobs/sha256/${sha(blob)}`)).toBe(false);
    expect(image.imageId).toBe(`sha256:${sha(ociConfig)}`);
  });

  test("the trimmed archive lists the kept blobs", async () => {
    const out = join(root, "oci-trimmed.tar");
    await writeTrimmed(file, trimPlan(image, [1, 2]), out);
    expect(tarList(out)).toEqual(["blobs", "blobs/sha256", `blobs/sha256/${sha(blob)}`, `blobs/sha256/${sha(ociConfig)}`, "index.json", "manifest.json", "oci-layout"].sort());
  });
});

describe("tar details", () => {
  test("long names from pax headers are read", () => {
    const long = `${"d".repeat(80)}/${"e".repeat(60)}.txt`;
    const path = makeTar("pax", { [long]: "x" }, "pax");
    const file = new ArchiveFile(path);
    expect(indexTar(file.read).map((e) => e.name)).toContain(long);
  });

  test("a header GNU tar accepts, with its checksum", () => {
    const data = new TextEncoder().encode("hello");
    const tar = new Uint8Array([...fileHeader("greeting.txt", data.length), ...data, ...new Uint8Array(512 - data.length + 1024)]);
    const out = join(root, "one.tar");
    writeFileSync(out, tar);
    const r = spawnSync("tar", ["-xOf", out, "greeting.txt"]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe("hello");
    expect(() => fileHeader("x".repeat(101), 1)).toThrow(/too long/);
  });
});

describe("a layer saved as a symlink to an identical earlier one (Docker ≤ 24)", () => {
  // Layers 0 and 2 have the same content: Docker writes the second as a link to the first's file.
  const same = "s".repeat(600);
  const mid = "m".repeat(700);
  const cfg = JSON.stringify({ rootfs: { type: "layers", diff_ids: [`sha256:${sha(same)}`, `sha256:${sha(mid)}`, `sha256:${sha(same)}`] } });
  const dir = join(root, "linked");
  write(dir, { "1111/layer.tar": same, "2222/layer.tar": mid, "3333/json": "{}", [`${sha(cfg)}.json`]: cfg });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: `${sha(cfg)}.json`, RepoTags: null, Layers: ["1111/layer.tar", "2222/layer.tar", "3333/layer.tar"] }]));
  spawnSync("ln", ["-s", "../1111/layer.tar", join(dir, "3333/layer.tar")]);
  const out = join(root, "linked.tar");
  spawnSync("tar", ["--format=ustar", "-cf", out, "-C", dir, "."]);
  const file = new ArchiveFile(out);
  const image = describeSave(indexTar(file.read), file.read);

  test("the link is read", () => {
    expect(image.entries.find((e) => e.name === "3333/layer.tar")?.link).toBe("../1111/layer.tar");
  });

  test("when only the top layer is missing, the file its link points to stays in the archive", async () => {
    const omitted = omittedPaths(image, [2]);
    expect(omitted.has("1111/layer.tar")).toBe(false);
    expect(omitted.has("1111")).toBe(false);
    expect(omitted.has("2222/layer.tar")).toBe(true);
    const trimmed = join(root, "linked-trimmed.tar");
    await writeTrimmed(file, trimPlan(image, [2]), trimmed);
    const x = mkdtempSync(join(root, "x-"));
    expect(spawnSync("tar", ["-xf", trimmed, "-C", x]).status).toBe(0);
    expect(readFileSync(join(x, "3333/layer.tar"), "utf8")).toBe(same);
  });
});
