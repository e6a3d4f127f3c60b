/**
 * `proxy boot_config set|get|reset` (deprecated in Kamal in favour of `proxy.run`, kept for
 * compatibility): the legacy files under `.kamal/proxy` that variant A of the proxy run command
 * reads on the server. A value equal to its default is not written: the file is removed instead.
 */
import { PROXY_HTTP_PORT, PROXY_HTTPS_PORT, PROXY_IMAGE_DEFAULT, PROXY_LOG_MAX_SIZE, PROXY_MINIMUM_VERSION, proxyPaths, publishArgs } from "./proxy.ts";
import { type Argv, argumentize, optionize, render } from "./shell.ts";

export interface BootConfigOptions {
  publish?: boolean;
  publishHostIps?: readonly string[];
  httpPort?: number;
  httpsPort?: number;
  logMaxSize?: string;
  registry?: string;
  repository?: string;
  imageVersion?: string;
  metricsPort?: number;
  debug?: boolean;
  /** `a=b` entries, written as `--a=b`. */
  dockerOptions?: readonly string[];
}

/** File contents, or `undefined` for "remove the file, the default applies". */
export interface BootConfigFiles {
  options?: string;
  image?: string;
  imageVersion?: string;
  runCommand?: string;
}

export function defaultBootOptions(): string {
  return render([...publishArgs(PROXY_HTTP_PORT, PROXY_HTTPS_PORT), ...argumentize("--log-opt", [`max-size=${PROXY_LOG_MAX_SIZE}`])]);
}

export function bootConfigFiles(options: BootConfigOptions): BootConfigFiles {
  const publish = options.publish === false ? [] : publishArgs(options.httpPort ?? PROXY_HTTP_PORT, options.httpsPort ?? PROXY_HTTPS_PORT, options.publishHostIps);
  const logMaxSize = options.logMaxSize ?? PROXY_LOG_MAX_SIZE;
  const opts = render([
    ...publish,
    ...(logMaxSize.trim() === "" ? [] : argumentize("--log-opt", [`max-size=${logMaxSize}`])),
    ...(options.metricsPort === undefined ? [] : [`--expose=${options.metricsPort}`]),
    ...(options.dockerOptions ?? []).map((option) => `--${option}`),
  ]);
  const image = [options.registry, options.repository ?? PROXY_IMAGE_DEFAULT].filter((p) => p !== undefined && p !== "").join("/");
  const version = options.imageVersion ?? PROXY_MINIMUM_VERSION;
  const runCommand = render(["kamal-proxy", "run", ...optionize({ debug: options.debug || undefined, "metrics-port": options.metricsPort })]);
  return {
    options: opts === defaultBootOptions() ? undefined : opts,
    image: image === PROXY_IMAGE_DEFAULT ? undefined : image,
    imageVersion: version === PROXY_MINIMUM_VERSION ? undefined : version,
    runCommand: runCommand === "kamal-proxy run" ? undefined : runCommand,
  };
}

/** `rm -f` of the files whose defaults apply (`reset` removes them all). */
export function removeBootFiles(runDirectory: string, which: readonly (keyof BootConfigFiles)[] = ["options", "image", "imageVersion", "runCommand"]): Argv {
  const file = bootFilePaths(runDirectory);
  return ["rm", "-f", ...which.map((key) => file[key])];
}

/** Paths of the files, for uploads. */
export function bootFilePaths(runDirectory: string): Record<keyof BootConfigFiles, string> {
  const paths = proxyPaths(runDirectory);
  return { options: paths.optionsFile, image: paths.imageFile, imageVersion: paths.imageVersionFile, runCommand: paths.runCommandFile };
}
