/**
 * Where the state file lives. Writes are atomic (temp file, fsync, rename, fsync of the directory), so a
 * crash or a full disk leaves either the old file or the new one, never a truncated one; a write that
 * fails throws, so the command that asked for it can fail and say why. A file that cannot be decoded is
 * set aside under a timestamped name instead of being overwritten by the next save.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface StateStore {
  read(): string | undefined;
  write(text: string): void;
  /** Keep an undecodable file for a human to look at; returns where it went. */
  setAside(): string | undefined;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse to fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function fileStateStore(path: string): StateStore {
  const dir = dirname(path);
  // One proxy writes one state file, so one temp name will do; a crash mid-write leaves it behind, and
  // the next start (which reads the state once) removes it.
  const tmp = join(dir, `.${basename(path)}.tmp`);
  return {
    read() {
      // Looked for before reading: on a first start neither file exists, and a thrown ENOENT (an error
      // object with its stack) costs an idle proxy more memory than the check (about 0.6 MB of Bun's code).
      if (existsSync(tmp)) rmSync(tmp, { force: true });
      if (!existsSync(path)) return undefined;
      try {
        return readFileSync(path, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    write(text) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      let fd: number | undefined;
      try {
        fd = openSync(tmp, "w", 0o600);
        const bytes = Buffer.from(text);
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        fsyncSync(fd);
        closeSync(fd);
        fd = undefined;
        renameSync(tmp, path);
      } catch (e) {
        if (fd !== undefined) closeSync(fd);
        try {
          unlinkSync(tmp);
        } catch {
          // Never created.
        }
        throw e;
      }
      fsyncDir(dir);
    },
    setAside() {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const aside = `${path}.corrupt-${stamp}`;
      renameSync(path, aside);
      return aside;
    },
  };
}
