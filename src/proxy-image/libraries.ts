/**
 * Which shared libraries a Linux executable needs, read with `ldd` (glibc's loader lists them and
 * the ELF interpreter). Only real files are returned, symlinks resolved, each once.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { SextantError } from "../errors.ts";

export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const arrow = line.match(/=>\s+(\/\S+)/);
    const bare = line.match(/^\s*(\/\S+)\s+\(/);
    const path = arrow?.[1] ?? bare?.[1];
    if (path) paths.push(path);
  }
  return [...new Set(paths)];
}

/**
 * The libraries by the paths the loader asks for (reading a path follows its symlinks, so the image
 * gets the real content under the expected name).
 */
export function sharedLibraries(binary: string): string[] {
  let output: string;
  try {
    output = execFileSync("ldd", [binary], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    throw new SextantError(`cannot list the shared libraries of ${binary} (ldd failed)`, {
      hint: "Building the proxy image from this binary needs a Linux machine with glibc; or set proxy.image to a registry image.",
      cause: error,
    });
  }
  return parseLdd(output).filter((path) => existsSync(path));
}
