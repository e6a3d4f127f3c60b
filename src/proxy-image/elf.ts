/**
 * The architecture of an executable from its ELF header, so a binary's fitness for a server is
 * decided by what it is, not by the name it has or the machine that runs the CLI.
 */
import { closeSync, openSync, readSync } from "node:fs";

const MACHINES: Record<number, "amd64" | "arm64"> = { 62: "amd64", 183: "arm64" };

/** "amd64"/"arm64" for a little-endian 64-bit Linux ELF executable of those machines, else undefined. */
export function elfArchOf(header: Uint8Array): "amd64" | "arm64" | undefined {
  if (header.length < 20) return undefined;
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) return undefined;
  if (header[4] !== 2 || header[5] !== 1) return undefined; // 64-bit, little-endian
  return MACHINES[header[18]! | (header[19]! << 8)];
}

export function elfArch(path: string): "amd64" | "arm64" | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const header = new Uint8Array(20);
    readSync(fd, header, 0, 20, 0);
    return elfArchOf(header);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
