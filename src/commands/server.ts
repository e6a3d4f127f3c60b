/**
 * Server-level commands: Docker presence and installation (`server bootstrap`, Kamal's commands/docker.rb),
 * the app directories, and the interactive `ssh -t` line used by exec -i and logs -f.
 */
import type { AppConfig, SshConfig } from "./names.ts";
import { type Argv, any, combine, docker, makeDirectory, pipe, quoted, removeDirectory, shell, silenced } from "./shell.ts";

const IS_ROOT = '[ "${EUID:-$(id -u)}" -eq 0 ]';
const CURRENT_USER = '"${USER:-$(id -un)}"';

/** `docker -v`: fails when Docker is missing on a server. */
export function dockerInstalled(): Argv {
  return docker("-v");
}

/** `docker --version && docker buildx version`: the local checks before a build. */
export function ensureLocalDockerInstalled(): Argv {
  return combine(docker("--version"), docker("buildx", "version"));
}

/** Root, or allowed to run `sudo usermod` without a password: Docker can be installed. */
export function superuser(): Argv {
  return any(IS_ROOT, ["sudo", "-nl", "usermod", ">/dev/null"]);
}

/** `sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh` */
export function installDocker(): Argv {
  const script = any(["curl", "-fsSL", "https://get.docker.com"], ["wget", "-O", "-", "https://get.docker.com"], ["echo", '"exit 1"']);
  return pipe(shell(script), "sh");
}

/** Root, or already in the docker group (no usermod needed). */
export function rootOrInDockerGroup(): Argv {
  return any(IS_ROOT, pipe(["id", "-nG", CURRENT_USER], ["grep", "-qw", "docker"]));
}

export function addToDockerGroup(): Argv {
  return ["sudo", "-n", "usermod", "-aG", "docker", CURRENT_USER];
}

/** Drops the SSH session so the next one picks up the new group (the caller expects an error). */
export function refreshSession(): Argv {
  return ["kill", "-HUP", "$PPID"];
}

export function ensureAppDirectory(config: Pick<AppConfig, "appDirectory">): Argv {
  return makeDirectory(config.appDirectory);
}

/** `rm -r .kamal/apps/SVC[-DEST]` */
export function removeAppDirectory(config: Pick<AppConfig, "appDirectory">): Argv {
  return removeDirectory(config.appDirectory);
}

/** `rm -r .kamal/proxy/apps-config/SVC[-DEST]` (error pages, TLS certificates). */
export function removeProxyAppDirectory(config: Pick<AppConfig, "proxyAppConfigDirectory">): Argv {
  return removeDirectory(config.proxyAppConfigDirectory);
}

/** `ls .kamal/apps 2>/dev/null`: the apps deployed on a server, one directory each. */
export function listAppDirectories(config: Pick<AppConfig, "appsDirectory">): Argv {
  return silenced(["ls", config.appsDirectory]);
}

/** `ls .kamal/apps | wc -l` */
export function appDirectoryCount(config: Pick<AppConfig, "appsDirectory">): Argv {
  return pipe(["ls", config.appsDirectory], ["wc", "-l"]);
}

/**
 * The local command for an interactive session on a server (`exec -i`, `logs -f`):
 * `ssh[ -F FILE…| -F /dev/null][ -J USER@JUMP | -o ProxyCommand='CMD'][ -i KEY…][ -o IdentitiesOnly=yes] -t USER@HOST -p PORT 'COMMAND'`.
 */
export function runOverSsh(ssh: SshConfig, host: string, command: Argv): Argv {
  const config: string[] = ssh.config === false ? ["-F", "/dev/null"] : ssh.config === true ? [] : ssh.config.flatMap((file) => ["-F", file]);
  const proxy = ssh.proxy === undefined ? [] : "jump" in ssh.proxy ? ["-J", ssh.proxy.jump] : ["-o", `ProxyCommand='${ssh.proxy.command}'`];
  const keys = (ssh.keys ?? []).flatMap((key) => ["-i", key]);
  const identitiesOnly = ssh.keysOnly ? ["-o", "IdentitiesOnly=yes"] : [];
  return ["ssh", ...config, ...proxy, ...keys, ...identitiesOnly, "-t", `${ssh.user}@${host}`, "-p", String(ssh.port), quoted(command)];
}
