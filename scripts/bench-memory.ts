/**
 * Memory helpers shared by scripts/bench-proxy and scripts/bench-proxy-floor: dropping a binary from the
 * page cache before it starts, a process's RSS split into private and file-backed pages, and the
 * readahead of the disk a file is read from.
 *
 * Most of an idle Bun process's RSS is file-backed: the pages of its own executable. How many of them get
 * mapped depends on how the file sits in the page cache (a fresh write is cached in large folios, each
 * mapped whole on the first fault) and on the readahead of the disk it is read from (the larger the
 * readahead, the more of the binary is read, and mapped, around each fault).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Drops a file's pages from the page cache, so the next process to map it reads it from disk. dd's
 * nocache (POSIX_FADV_DONTNEED) cannot drop dirty pages: a file just written (a fresh build, a new copy)
 * would stay cached as written, which showed as 4-6 MB more idle RSS on the first start. So the file is
 * synced first.
 */
export function dropFromPageCache(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  Bun.spawnSync(["dd", `if=${file}`, "iflag=nocache", "count=0", "status=none"]);
}

/** Resident memory in kB (KiB, as /proc reports it): the total and its parts. */
export interface Rss {
  /** VmRSS: anon + file + shmem. */
  total: number;
  /** RssAnon: private (anonymous) pages, the heap and stacks. */
  anon: number;
  /** RssFile: file-backed pages, mostly the executable's own. */
  file: number;
  /** RssShmem: shared memory. */
  shmem: number;
}

/** The RSS of some processes, summed; each one's /proc/<pid>/status is read once, so the parts add up. */
export function rss(pids: number[]): Rss {
  const sum: Rss = { total: 0, anon: 0, file: 0, shmem: 0 };
  for (const pid of pids) {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
    sum.total += field("VmRSS");
    sum.anon += field("RssAnon");
    sum.file += field("RssFile");
    sum.shmem += field("RssShmem");
  }
  return sum;
}

/** kB (KiB, as /proc reports them) in MB (10^6 bytes). */
export const kbToMb = (kb: number): number => (kb * 1024) / 1e6;

/** The read_ahead_kb of a block device, given its directory in /sys; a partition's is its disk's. */
function deviceReadahead(sysDir: string): { device: string; kb: number } | undefined {
  if (!existsSync(sysDir)) return undefined;
  let dir = realpathSync(sysDir);
  if (existsSync(`${dir}/partition`)) dir = dirname(dir);
  try {
    return { device: basename(dir), kb: Number(readFileSync(`${dir}/queue/read_ahead_kb`, "utf8").trim()) };
  } catch {
    return undefined;
  }
}

/**
 * The readahead of the disk that holds a file, or undefined when there is no such disk to be found
 * (overlay, tmpfs, a network file system). The file system's device number names the device for most
 * local file systems; btrfs and others report a device number of their own, so the mount's source
 * (findmnt) is tried next.
 */
export function readaheadKb(file: string): { device: string; kb: number } | undefined {
  if (!existsSync(file)) return undefined;
  const dev = statSync(file, { bigint: true }).dev;
  // Linux's encoding of a device number (glibc's gnu_dev_major and gnu_dev_minor).
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const byNumber = deviceReadahead(`/sys/dev/block/${major}:${minor}`);
  if (byNumber) return byNumber;
  const findmnt = Bun.spawnSync(["findmnt", "-n", "-o", "SOURCE", "--target", file], { stdout: "pipe", stderr: "ignore" });
  // A btrfs subvolume shows as /dev/sda2[/@home].
  const source = findmnt.success
    ? findmnt.stdout
        .toString()
        .trim()
        .replace(/\[.*\]$/, "")
    : "";
  if (!source.startsWith("/dev/") || !existsSync(source)) return undefined;
  return deviceReadahead(`/sys/class/block/${basename(realpathSync(source))}`);
}
