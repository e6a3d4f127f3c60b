/**
 * scripts/release's helper: the proxy image of one architecture as an uncompressed `docker load`
 * archive, from a Linux sextant executable and the C library unpacked from Debian's packages of
 * that architecture (not this machine's own: an x64 machine makes the arm64 image too).
 *
 *   bun scripts/release-image.ts --binary B --arch amd64|arm64 --root DIR --out FILE.tar
 *   bun scripts/release-image.ts --index DIR VERSION   (manifest.json and SHA256SUMS for DIR)
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { binaryDigest, writeProxyImageArchive } from "../src/proxy-image/build.ts";
import { EXECUTABLE_TARGETS, executableFile, IMAGE_ARCHS, type ImageArch, linuxTargetOf, proxyImageFile } from "../src/proxy-image/release.ts";
import { writeReleaseIndex } from "../src/proxy-image/release-write.ts";

const MULTIARCH: Record<ImageArch, string> = { amd64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

/** Follow symlinks inside `root` (absolute targets are relative to it), to the real file. */
function realInRoot(root: string, path: string): string {
  let current = path;
  for (let hops = 0; hops < 20; hops++) {
    const onDisk = join(root, current);
    if (!lstatSync(onDisk).isSymbolicLink()) return onDisk;
    const target = readlinkSync(onDisk);
    current = target.startsWith("/") ? target : join(dirname(current), target);
  }
  throw new Error(`too many symlinks at ${path}`);
}

/** The interpreter and NEEDED libraries of an ELF executable, as readelf reports them. */
function dynamicNeeds(binary: string): { interpreter: string; needed: string[] } {
  const program = execFileSync("readelf", ["-lW", binary], { encoding: "utf8" });
  const interpreter = program.match(/Requesting program interpreter: ([^\]]+)\]/)?.[1];
  if (!interpreter) throw new Error(`${binary} has no ELF interpreter (a static or non-Linux binary?)`);
  const dynamic = execFileSync("readelf", ["-dW", binary], { encoding: "utf8" });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  return { interpreter, needed };
}

async function image(): Promise<void> {
  const binary = resolve(arg("--binary"));
  const arch = arg("--arch") as ImageArch;
  const root = resolve(arg("--root"));
  if (!IMAGE_ARCHS.includes(arch)) throw new Error(`--arch must be one of ${IMAGE_ARCHS.join(", ")}`);
  const { interpreter, needed } = dynamicNeeds(binary);
  const libraries = [
    { path: interpreter, source: realInRoot(root, interpreter) },
    ...needed.map((name) => {
      for (const dir of [`/lib/${MULTIARCH[arch]}`, `/usr/lib/${MULTIARCH[arch]}`]) {
        if (existsSync(join(root, dir, name))) return { path: `${dir}/${name}`, source: realInRoot(root, `${dir}/${name}`) };
      }
      throw new Error(`${name} (needed by ${binary}) is not in ${root}`);
    }),
  ];
  const version = arg("--version");
  await writeProxyImageArchive(
    { binary, libraries, tag: `sextant/proxy:v${version}`, sextantVersion: version, arch, binaryDigest: await binaryDigest(binary, join(dirname(resolve(arg("--out"))), ".digests")) },
    resolve(arg("--out")),
    "none",
  );
  console.log(libraries.map((l) => l.path).join(" "));
}

async function index(): Promise<void> {
  const dir = resolve(arg("--index"));
  const version = process.argv[process.argv.indexOf("--index") + 2]!;
  const cache = join(dir, "..", `.digests-${version}`);
  await writeReleaseIndex(dir, {
    version,
    executables: EXECUTABLE_TARGETS.map((target) => ({ target, file: executableFile(target) })),
    proxyImages: await Promise.all(
      IMAGE_ARCHS.map(async (arch) => ({
        arch,
        file: proxyImageFile(version, arch),
        image: `sextant/proxy:v${version}`,
        binaryDigest: await binaryDigest(join(dir, executableFile(linuxTargetOf(arch))), cache),
      })),
    ),
  });
}

if (process.argv.includes("--index")) await index();
else await image();
