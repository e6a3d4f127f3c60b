/**
 * The app version: `--version` > VERSION env > git. From git it is the full HEAD SHA, with
 * `_uncommitted_<16 hex>` appended when the tree has changes and the build uses the working
 * directory (`builder.context` set) rather than a clean clone. Git runs only when needed.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { SextantError } from "../errors.ts";

export interface VersionOptions {
  declared?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** True when the build uses a git clone (no builder.context): uncommitted changes don't matter. */
  gitClone: boolean;
  git?: (args: string[]) => string | undefined;
}

export function defaultGit(cwd: string): (args: string[]) => string | undefined {
  return (args) => {
    try {
      return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return undefined;
    }
  };
}

export function resolveVersion(options: VersionOptions): string {
  if (options.declared) return options.declared;
  const fromEnv = options.env.VERSION;
  if (fromEnv !== undefined) return fromEnv;
  const git = options.git ?? defaultGit(options.cwd);
  const head = git(["rev-parse", "HEAD"])?.trim();
  if (!head) {
    throw new SextantError(`Can't use commit hash as version, no git repository found in ${options.cwd}`, {
      hint: "commit your app to git, or pass --version VERSION (or set VERSION)",
    });
  }
  if (!options.gitClone) {
    const status = git(["status", "--porcelain"]);
    if (status && status.trim() !== "") return `${head}_uncommitted_${randomBytes(8).toString("hex")}`;
  }
  return head;
}

/** First 7 characters, unless the version contains `_` (e.g. `<sha>_uncommitted_<hex>`). */
export function abbreviateVersion(version: string): string {
  return version.includes("_") ? version : version.slice(0, 7);
}
