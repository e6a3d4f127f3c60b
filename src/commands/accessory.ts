/**
 * Accessory containers (Kamal's commands/accessory.rb). One container per accessory
 * named after its service (`SVC-NAME` by default), never touched by deploy/redeploy.
 */
import type { Accessory, SextantConfig } from "../config/model.ts";
import { containerIdFor } from "./app.ts";
import * as proxy from "./proxy.ts";
import { type Argv, argumentize, docker, escape, makeDirectory, pipe, silenced, type Token } from "./shell.ts";

export type AccessoryConfig = Pick<SextantConfig, "loggingArgs" | "envDirectory" | "appDirectory" | "deployTimeout" | "drainTimeout" | "proxyAppConfigDirectory" | "proxyAppConfigContainerDirectory">;

/** Where a proxied accessory's custom certificate lives, below the app's proxy config directory. */
export function accessoryTlsDirectory(base: string, accessory: Pick<Accessory, "name">): string {
  return `${base}/tls/accessories/${accessory.name}`;
}
export type AccessorySpec = Pick<Accessory, "name" | "serviceName" | "image" | "port" | "cmd" | "labels" | "optionArgs" | "restart" | "envFile" | "volumes" | "network" | "proxy" | "files" | "directories"> & {
  readonly env: { readonly clear: Readonly<Record<string, string>> };
};

export interface AccessoryLogsOptions {
  since?: string;
  lines?: number | string;
  grep?: string;
  grepOptions?: string;
  timestamps?: boolean;
}

export function accessoryCommands(config: AccessoryConfig, accessory: AccessorySpec) {
  const name = accessory.serviceName;
  const envArgs = (): Token[] => [...argumentize("--env", accessory.env.clear), "--env-file", accessory.envFile];
  const volumeArgs = (): Token[] => argumentize("--volume", accessory.volumes);
  const grep = (pattern: string, options?: string) => ["grep", pattern, ...(options === undefined ? [] : [options])];

  return {
    /** `docker run --name ASVC --detach --restart P --network NET <logging> [--publish] --env KAMAL_HOST ...` */
    run(host: string): Argv {
      return docker(
        "run",
        "--name",
        name,
        "--detach",
        "--restart",
        accessory.restart,
        "--network",
        accessory.network,
        config.loggingArgs,
        accessory.port === undefined ? undefined : argumentize("--publish", [accessory.port]),
        "--env",
        `KAMAL_HOST=${escape(host)}`,
        envArgs(),
        volumeArgs(),
        argumentize("--label", accessory.labels),
        accessory.optionArgs,
        accessory.image,
        accessory.cmd,
      );
    },
    start: (): Argv => docker("container", "start", name),
    stop: (): Argv => docker("container", "stop", name),
    info: (): Argv => docker("ps", "--filter", `label=service=${name}`),
    /** Any container of the accessory, running or not (boot skips hosts that have one). */
    containerIds: (): Argv => docker("ps", "-a", "-q", "--filter", `label=service=${name}`),
    containerId: (): Argv => containerIdFor(name),

    /** Kamal's accessory logs keep their double spaces: `docker logs ASVC  --since 5m  --tail 100 --timestamps 2>&1`. */
    logs(options: AccessoryLogsOptions = {}): Argv {
      return pipe(
        docker(
          "logs",
          name,
          options.since === undefined ? undefined : ` --since ${options.since}`,
          options.lines === undefined ? undefined : ` --tail ${options.lines}`,
          options.timestamps === false ? undefined : "--timestamps",
          "2>&1",
        ),
        options.grep === undefined ? undefined : grep(`'${options.grep}'`, options.grepOptions),
      );
    },
    /** The remote part of `accessory logs -f` (wrap with `runOverSsh`). */
    followLogs(options: Pick<AccessoryLogsOptions, "grep" | "grepOptions" | "timestamps" | "lines"> = {}): Argv {
      return pipe(
        docker("logs", name, options.timestamps === false ? undefined : "--timestamps", "--tail", String(options.lines ?? 10), "--follow", "2>&1"),
        options.grep === undefined ? undefined : grep(`"${options.grep}"`, options.grepOptions),
      );
    },

    execInExisting: (command: string, options: { interactive?: boolean; tty?: boolean } = {}): Argv => docker("exec", options.interactive ? (options.tty === false ? "-i" : "-it") : undefined, name, command),
    execInNew: (command: string, options: { interactive?: boolean; tty?: boolean } = {}): Argv =>
      docker("run", options.interactive ? (options.tty === false ? "-i" : "-it") : undefined, "--rm", "--network", accessory.network, envArgs(), volumeArgs(), accessory.optionArgs, accessory.image, command),

    pullImage: (): Argv => docker("image", "pull", accessory.image),
    removeContainer: (): Argv => docker("container", "prune", "--force", "--filter", `label=service=${name}`),
    removeImage: (): Argv => docker("image", "rm", "--force", accessory.image),
    /** `rm -rf ASVC`: files and directories uploaded next to the home directory. */
    removeServiceDirectory: (): Argv => ["rm", "-rf", name],
    ensureEnvDirectory: (): Argv => makeDirectory(`${config.envDirectory}/accessories`),
    removeEnvFile: (): Argv => ["rm", "-f", accessory.envFile],
    /** `rmdir ENVDIR/accessories ENVDIR APPDIR 2>/dev/null`: only the empty ones go (an app's stay). */
    removeEmptyEnvDirectories: (): Argv => silenced(["rmdir", accessory.envFile.slice(0, accessory.envFile.lastIndexOf("/")), config.envDirectory, config.appDirectory]),
    /** `mkdir -p` of a file's parent directory on the server, before its upload. */
    makeDirectoryFor: (remoteFile: string): Argv => makeDirectory(remoteFile.includes("/") ? remoteFile.slice(0, remoteFile.lastIndexOf("/")) : "."),
    makeDirectory: (path: string): Argv => makeDirectory(path),
    chmod: (path: string, mode: string): Argv => ["chmod", mode, path],
    chown: (path: string, owner: string): Argv => ["chown", owner, path],

    deploy(target: string): Argv {
      if (!accessory.proxy) throw new Error(`accessory ${accessory.name} has no proxy`);
      const tls = accessory.proxy.customSslCertificate ? accessoryTlsDirectory(config.proxyAppConfigContainerDirectory, accessory) : undefined;
      return proxy.deploy(name, accessory.proxy, {
        target,
        deployTimeout: config.deployTimeout,
        drainTimeout: config.drainTimeout,
        tlsCertificatePath: tls && `${tls}/cert.pem`,
        tlsPrivateKeyPath: tls && `${tls}/key.pem`,
      });
    },
    removeFromProxy: (): Argv => proxy.remove(name),
    /** `mkdir -p` of the directory a custom certificate is uploaded to. */
    ensureTlsDirectory: (): Argv => makeDirectory(accessoryTlsDirectory(config.proxyAppConfigDirectory, accessory)),
  };
}
