/**
 * Small app images for tests, built offline: no base image (FROM scratch) plus Debian's static
 * busybox, serving a directory with busybox httpd. Nothing needs to be pulled from the internet.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builderEnv, runOk, type Testbed } from "./testbed.ts";

export const BUSYBOX = "/bin/busybox";

export interface AppImageOptions {
  /** Files served from / (path → content). */
  files?: Record<string, string>;
  /** Extra Dockerfile lines appended at the end. */
  extraDockerfile?: string;
  port?: number;
}

/** Write a build context for a busybox httpd app into a new temp directory and return it. */
function writeAppContext(options: AppImageOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "sextant-app-"));
  mkdirSync(join(dir, "www"), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, "busybox"));
  const files = options.files ?? { "index.html": "hello\n", up: "ok\n" };
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, "www", path), content);
  const port = options.port ?? 80;
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM scratch",
      "COPY busybox /bin/busybox",
      "COPY www /www",
      `EXPOSE ${port}`,
      // A shell as PID 1 that exits on SIGTERM (httpd as PID 1 would ignore it and stall docker stop).
      `CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; /bin/busybox httpd -f -p ${port} -h /www & wait"]`,
      options.extraDockerfile ?? "",
    ].join("\n"),
  );
  return dir;
}

/** Build an app image on the bed's builder engine and push it to the bed's registry. */
export async function buildAndPush(bed: Testbed, repository: string, tag: string, options: AppImageOptions = {}): Promise<string> {
  const dir = writeAppContext(options);
  const image = `${bed.registry}/${repository}:${tag}`;
  try {
    await runOk(["docker", "build", "-q", "-t", image, dir], { env: builderEnv(bed) });
    await runOk(["docker", "push", "-q", image], { env: builderEnv(bed) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return image;
}
