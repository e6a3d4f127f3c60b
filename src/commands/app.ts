/**
 * App containers of one role on one host (Kamal's Commands::App): run, start, stop, the
 * "current container" queries, rename, exec, logs, kamal-proxy deploy/remove, health status.
 * `appCommands(config, role, host)` closes over the model objects, like Kamal's
 * `KAMAL.app(role:, host:)`; every method returns an Argv and does nothing else.
 */
import { type AppConfig, type AppRole, containerHostname, execContainerName, NETWORK } from "./names.ts";
import * as proxy from "./proxy.ts";
import { type Argv, argumentize, chain, docker, escape, makeDirectory, pipe, render, shell, type Token, xargs } from "./shell.ts";

/** Statuses that count as "running" when looking for the current container. */
const ACTIVE_STATUSES = ["running", "restarting"] as const;
const HEALTH_STATUS_FORMAT = "'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'";
const HEALTH_LOG_FORMAT = "'{{json .State.Health}}'";

/** `docker container ls --all --filter 'name=^NAME$' --quiet`: the id of a container by exact name. */
export function containerIdFor(name: string, options: { onlyRunning?: boolean } = {}): Argv {
  return docker("container", "ls", options.onlyRunning ? undefined : "--all", "--filter", `'name=^${name}$'`, "--quiet");
}

/**
 * Filters that find this app's containers. Without a destination the filter is
 * `label=destination=` (empty), which matches the empty label Kamal puts on such containers.
 */
export function containerFilters(config: Pick<AppConfig, "service" | "destination">, role?: string, statuses: readonly string[] = []): Token[] {
  return argumentize("--filter", [
    `label=service=${config.service}`,
    `label=destination=${config.destination ?? ""}`,
    ...(role === undefined ? [] : [`label=role=${role}`]),
    ...statuses.map((status) => `status=${status}`),
  ]);
}

/** `docker ps -q -a <filters> | xargs -r docker container rm -f`: every container of a role, any version or state. */
export function removeAllContainers(config: Pick<AppConfig, "service" | "destination">, role: string): Argv {
  return pipe(docker("ps", "-q", "-a", ...containerFilters(config, role)), xargs(["-r", ...docker("container", "rm", "-f")]));
}

export interface LogsOptions {
  since?: string;
  lines?: number | string;
  grep?: string;
  grepOptions?: string;
  /** Read this container instead of the current one. */
  containerId?: string;
  timestamps?: boolean;
}

export interface ExecOptions {
  /** `-it` (or `-i` when stdin is not a TTY). */
  interactive?: boolean;
  tty?: boolean;
  /** Extra `--env K="v"` pairs from `app exec -e`. */
  env?: Readonly<Record<string, string>>;
}

export function appCommands(config: AppConfig, role: AppRole, host: string) {
  const name = (version?: string) => role.containerName(version ?? config.version);
  const filters = (statuses: readonly string[] = []) => containerFilters(config, role.name, statuses);
  const stopArgs = (): string[] => (role.stopTimeout === undefined ? [] : ["-t", String(role.stopTimeout)]);
  const interactiveArgs = (o: ExecOptions) => (o.interactive ? (o.tty === false ? "-i" : "-it") : undefined);
  /** Clear env on the command line, secrets through the role's env file. */
  const envArgs = (): Token[] => [...argumentize("--env", role.env(host).clear), "--env-file", role.envFile];

  /** `docker ps --latest FORMAT <filters> [--filter EXTRA]` over running/restarting containers. */
  const latestContainer = (format: string, extra: Token[] = []): Argv => docker("ps", "--latest", format, ...filters(ACTIVE_STATUSES), ...extra);

  /**
   * The newest running container of the role, preferring one built from the image currently
   * tagged latest (so a rollback's older image does not win over a newer container):
   * `sh -c '<latest-image container> ; <latest container>' | head -1`.
   */
  const currentRunningContainer = (format: string): Argv => {
    const latestImageId = docker("image", "ls", ...argumentize("--filter", [`reference=${config.latestImage}`]), "--format", "'{{.ID}}'");
    return pipe(shell(chain(latestContainer(format, argumentize("--filter", [`ancestor=$(${render(latestImageId)})`])), latestContainer(format))), ["head", "-1"]);
  };

  /**
   * Replicas (`replicas: N`, N > 1): replica 1 keeps Kamal's name `PREFIX-V`, the others are
   * `PREFIX-V_replica_K`, and the "container of version V" becomes every name matching
   * `^PREFIX-V(_replica_[0-9]+)?$`. With one replica every command is exactly Kamal's.
   */
  const multi = role.replicas > 1;
  const replicaName = (version: string, replica: number) => (replica === 1 ? name(version) : `${name(version)}_replica_${replica}`);
  const versionContainers = (version: string, options: { onlyRunning?: boolean } = {}): Argv =>
    multi ? docker("container", "ls", options.onlyRunning ? undefined : "--all", "--filter", `'name=^${name(version)}(_replica_[0-9]+)?$'`, "--quiet") : containerIdFor(name(version), options);

  /** `while read line; do echo ${line#PREFIX-}; done`: container names to versions (replica suffixes dropped). */
  const extractVersion = multi ? `while read line; do v=\${line#${role.containerPrefix}-}; echo \${v%_replica_*}; done` : `while read line; do echo \${line#${role.containerPrefix}-}; done`;

  return {
    containerName: name,

    /**
     * `docker run` for a new app container, in Kamal's fixed argument order.
     * `hostnameHex` (12 hex chars) gives the container a hostname derived from the server name.
     */
    run(options: { hostnameHex?: string; hostname?: string; replica?: number } = {}): Argv {
      const hostname = options.hostname ?? (options.hostnameHex === undefined ? undefined : containerHostname(host, options.hostnameHex));
      const asset = assetVolumeArgs(config, role);
      const container = replicaName(config.version, options.replica ?? 1);
      return docker(
        "run",
        "--detach",
        "--restart",
        role.restart,
        "--name",
        container,
        "--network",
        NETWORK,
        hostname === undefined ? undefined : ["--hostname", hostname],
        "--env",
        `KAMAL_CONTAINER_NAME=${escape(container)}`,
        "--env",
        `KAMAL_VERSION=${escape(config.version)}`,
        "--env",
        `KAMAL_HOST=${escape(host)}`,
        config.destination === undefined ? undefined : ["--env", `KAMAL_DESTINATION=${escape(config.destination)}`],
        envArgs(),
        role.logging.args,
        config.volumeArgs,
        asset,
        role.labelArgs,
        role.optionArgs,
        config.absoluteImage,
        role.cmd,
      );
    },

    start: (): Argv => (multi ? pipe(versionContainers(config.version), xargs(docker("start"))) : docker("start", name())),

    /** The names of the replicas of the config's version (1 for Kamal's single container). */
    replicaNames: (version: string = config.version): string[] => Array.from({ length: role.replicas }, (_, i) => replicaName(version, i + 1)),

    /** Stop a version's container, or the current one; `-t` from the role's stop timeout. */
    stop: (options: { version?: string } = {}): Argv => {
      if (options.version !== undefined) return pipe(versionContainers(options.version), xargs(docker("stop", ...stopArgs())));
      if (!multi) return pipe(currentRunningContainer("--quiet"), xargs(docker("stop", ...stopArgs())));
      // Every replica of the current version: that version's name, then its containers.
      const current = render(pipe(currentRunningContainer("--format '{{.Names}}'"), extractVersion));
      return [`v=$(${current});`, ...docker("container", "ls", "--quiet", "--filter", `"name=^${role.containerPrefix}-$v(_replica_[0-9]+)?$"`), "|", "xargs", "-r", ...docker("stop", ...stopArgs())];
    },

    /** Docker health status, or the plain state when the image has no HEALTHCHECK. */
    status: (version: string, replica = 1): Argv => pipe(containerIdFor(replicaName(version, replica)), xargs(docker("inspect", "--format", HEALTH_STATUS_FORMAT))),
    healthLog: (version: string): Argv => pipe(containerIdFor(name(version)), xargs(docker("inspect", "--format", HEALTH_LOG_FORMAT))),
    containerLogs: (version: string, lines?: number): Argv => pipe(containerIdFor(name(version)), xargs(docker("logs", lines === undefined ? undefined : ["--tail", String(lines)], "2>&1"))),

    info: (): Argv => docker("ps", ...filters()),
    /** The container(s) of a version: one id per replica. */
    containerIdForVersion: (version: string, options: { onlyRunning?: boolean } = {}): Argv => versionContainers(version, options),
    currentRunningContainerId: (): Argv => currentRunningContainer("--quiet"),
    currentRunningVersion: (): Argv => pipe(currentRunningContainer("--format '{{.Names}}'"), extractVersion),
    /** Versions of the role's containers (running ones unless `--all` etc. is passed). */
    listVersions: (dockerArgs: readonly string[] = [], statuses: readonly string[] = []): Argv =>
      pipe(docker("ps", ...filters(statuses), ...dockerArgs, "--format", '"{{.Names}}"'), extractVersion, multi ? ["sort", "-u"] : undefined),
    /** `<running versions>; echo ---; <current version>`: both in one round trip, split at the `---` line. */
    versionsThenCurrent(): Argv {
      return [`${render(this.listVersions())};`, "echo", "---;", ...this.currentRunningVersion()];
    },

    /** Rename a version's container(s) to another version's name (replicas keep their suffix). */
    rename: (version: string, newVersion: string): Argv =>
      multi
        ? [
            "for",
            "c",
            "in",
            `$(${render(docker("container", "ls", "--all", "--filter", `'name=^${name(version)}(_replica_[0-9]+)?$'`, "--format", "'{{.Names}}'"))});`,
            "do",
            ...docker("rename", "$c", `${name(newVersion)}\${c#${name(version)}}`),
            ";",
            "done",
          ]
        : docker("rename", name(version), name(newVersion)),
    removeContainer: (version: string): Argv => pipe(containerIdFor(name(version)), xargs(docker("container", "rm"))),
    removeContainers: (): Argv => docker("container", "prune", "--force", ...filters()),
    ensureEnvDirectory: (): Argv => makeDirectory(role.envFile.slice(0, role.envFile.lastIndexOf("/"))),

    /** `... | xargs docker logs [--timestamps] [--since X] [--tail N] 2>&1 [| grep 'G' OPTS]` */
    logs(options: LogsOptions = {}): Argv {
      if (multi && options.containerId === undefined) {
        // Every replica of the current version, one after the other, each under its name.
        const current = render(pipe(currentRunningContainer("--format '{{.Names}}'"), extractVersion));
        const each = [
          `v=$(${current});`,
          "for",
          "c",
          "in",
          `$(docker container ls --format '{{.Names}}' --filter "name=^${role.containerPrefix}-$v(_replica_[0-9]+)?$");`,
          "do",
          "echo",
          '"== $c";',
          ...docker("logs", logFlags(options), "$c", "2>&1;"),
          "done",
        ];
        return options.grep === undefined ? each : pipe(shell(each), grepCommand(`'${options.grep}'`, options.grepOptions));
      }
      return pipe(
        options.containerId === undefined ? currentRunningContainer("--quiet") : ["echo", options.containerId],
        xargs(docker("logs", logFlags(options), "2>&1")),
        options.grep === undefined ? undefined : grepCommand(`'${options.grep}'`, options.grepOptions),
      );
    },

    /** The remote part of `app logs -f`; the caller wraps it in `ssh -t` (see server.ts). */
    followLogs(options: Omit<LogsOptions, "since"> = {}): Argv {
      return pipe(
        options.containerId === undefined ? currentRunningContainer("--quiet") : ["echo", options.containerId],
        xargs(docker("logs", logFlags(options), "--follow", "2>&1")),
        options.grep === undefined ? undefined : grepCommand(`"${options.grep}"`, options.grepOptions),
      );
    },

    /** `docker exec [-it] [--env K="v"] PREFIX-V COMMAND` */
    execInExisting(command: string, options: ExecOptions = {}): Argv {
      return docker("exec", interactiveArgs(options), argumentize("--env", options.env ?? {}), name(), command);
    },

    /** `docker run [-it] --rm|--detach --name PREFIX-exec-V-<hex6> --network kamal ... IMAGE COMMAND` */
    execInNew(command: string, options: ExecOptions & { detach?: boolean; hex6: string }): Argv {
      return docker(
        "run",
        interactiveArgs(options),
        options.detach ? "--detach" : "--rm",
        "--name",
        execContainerName(role, config.version, options.hex6),
        "--network",
        NETWORK,
        envArgs(),
        argumentize("--env", options.env ?? {}),
        role.logging.args,
        config.volumeArgs,
        role.optionArgs,
        config.absoluteImage,
        command,
      );
    },

    /** Route the role's proxy service to the new container(s) (`target` = container id, or one per replica). */
    deploy(target: string | readonly string[]): Argv {
      if (!role.proxy) throw new Error(`role ${role.name} does not run the proxy`);
      const tls = role.proxy.customSslCertificate ? `${config.proxyAppConfigContainerDirectory}/tls/${role.name}` : undefined;
      return proxy.deploy(role.containerPrefix, role.proxy, {
        target,
        deployTimeout: config.deployTimeout,
        drainTimeout: config.drainTimeout,
        tlsCertificatePath: tls && `${tls}/cert.pem`,
        tlsPrivateKeyPath: tls && `${tls}/key.pem`,
        errorPages: config.errorPagesPath === undefined ? undefined : `${config.proxyAppConfigContainerDirectory}/error_pages/${config.version}`,
        basicAuthFile: role.proxy.basicAuth ? `${config.proxyAppConfigContainerDirectory}/basic_auth/${role.name}` : undefined,
      });
    },
    removeFromProxy: (): Argv => proxy.remove(role.containerPrefix),
    /** The canary container as the role's rollout target. */
    rolloutDeploy(target: string): Argv {
      if (!role.proxy) throw new Error(`role ${role.name} does not run the proxy`);
      return proxy.rolloutDeploy(role.containerPrefix, `${target}:${role.proxy.appPort}`, { deployTimeout: config.deployTimeout, drainTimeout: config.drainTimeout });
    },
    rolloutSet: (options: { percent: number; list?: readonly string[] }): Argv => proxy.rolloutSet(role.containerPrefix, options),
    rolloutStop: (): Argv => proxy.rolloutStop(role.containerPrefix),
    /** Stop the containers `app boot` renamed out of the way for `version` (`PREFIX-V_replaced_*`). */
    stopReplaced: (version: string): Argv => pipe(docker("container", "ls", "--quiet", "--filter", `'name=^${name(version)}_replaced_'`), ["xargs", "-r", ...docker("stop", ...stopArgs())]),
    maintenance: (options: { drainTimeout?: number; message?: string }): Argv => proxy.maintenance(role.containerPrefix, options),
    live: (): Argv => proxy.live(role.containerPrefix),
    /** `mkdir -p .kamal/proxy/apps-config/SVC[-DEST]/tls/ROLE` before uploading a custom certificate. */
    ensureTlsDirectory: (): Argv => makeDirectory(`${config.proxyAppConfigDirectory}/tls/${role.name}`),
  };
}

function logFlags(options: LogsOptions): string[] {
  return [...(options.timestamps === false ? [] : ["--timestamps"]), ...(options.since === undefined ? [] : ["--since", options.since]), ...(options.lines === undefined ? [] : ["--tail", String(options.lines)])];
}

function grepCommand(pattern: string, grepOptions?: string): string[] {
  return ["grep", pattern, ...(grepOptions === undefined ? [] : [grepOptions])];
}

/** `asset_path` may carry mount options after a colon (`/rails/public/assets:ro`). */
export function splitAssetPath(assetPath: string): { path: string; options?: string } {
  const i = assetPath.indexOf(":");
  return i === -1 ? { path: assetPath } : { path: assetPath.slice(0, i), options: assetPath.slice(i + 1) };
}

/** `--volume $PWD/APPDIR/assets/volumes/ROLE-V:ASSET_PATH[:opts]` for roles with asset bridging. */
export function assetVolumeArgs(config: Pick<AppConfig, "version">, role: Pick<AppRole, "assets" | "assetPath" | "assetVolumeDirectory">, version?: string): Token[] {
  if (!role.assets || role.assetPath === undefined) return [];
  const { path, options } = splitAssetPath(role.assetPath);
  const dir = role.assetVolumeDirectory(version ?? config.version);
  const host = dir.startsWith("/") ? dir : `$PWD/${dir}`;
  return argumentize("--volume", [`${host}:${path}${options === undefined ? "" : `:${options}`}`]);
}
