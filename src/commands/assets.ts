/**
 * Asset bridging and error pages (Kamal's commands/app/assets.rb and error_pages.rb). Assets of the new version are
 * copied out of the image and merged with the previous version's in both directions (`cp -n`
 * never overwrites), so requests for either version's fingerprinted files succeed during the
 * switch. Old siblings are removed after the old container stopped.
 */
import { splitAssetPath } from "./app.ts";
import { type AppConfig, type AppRole, assetContainerName } from "./names.ts";
import { type Argv, chain, combine, docker, makeDirectory } from "./shell.ts";

type AssetRole = Pick<AppRole, "name" | "containerPrefix" | "assetPath" | "assetExtractedDirectory" | "assetVolumeDirectory">;

function assetPathOf(role: AssetRole): string {
  if (role.assetPath === undefined) throw new Error(`role ${role.name} has no asset_path`);
  return splitAssetPath(role.assetPath).path;
}

/** Copy `ASSET_PATH/.` out of the new image into `assets/extracted/ROLE-V`. */
export function extractAssets(config: Pick<AppConfig, "absoluteImage" | "version">, role: AssetRole): Argv {
  const container = assetContainerName(role);
  const extracted = role.assetExtractedDirectory(config.version);
  return combine(
    makeDirectory(extracted),
    [...docker("container", "rm", container, "2>", "/dev/null"), "||", "true"],
    docker("container", "create", "--name", container, config.absoluteImage),
    docker("container", "cp", "-L", `${container}:${assetPathOf(role)}/.`, extracted),
    docker("container", "rm", container),
  );
}

function copyContents(source: string, destination: string, continueOnError = false): Argv {
  return ["cp", "-rnT", source, destination, ...(continueOnError ? ["||", "true"] : [])];
}

/** Fill `assets/volumes/ROLE-V`, and cross-copy with the old version when there is one. */
export function syncAssetVolumes(config: Pick<AppConfig, "version">, role: AssetRole, oldVersion?: string): Argv {
  const newExtracted = role.assetExtractedDirectory(config.version);
  const newVolume = role.assetVolumeDirectory(config.version);
  const steps: Argv[] = [makeDirectory(newVolume), copyContents(newExtracted, newVolume)];
  if (oldVersion !== undefined && oldVersion.trim() !== "") {
    steps.push(copyContents(newExtracted, role.assetVolumeDirectory(oldVersion), true));
    steps.push(copyContents(role.assetExtractedDirectory(oldVersion), newVolume, true));
  }
  return chain(...steps);
}

/** `find DIR -maxdepth 1 -name 'ROLE-*' ! -name ROLE-V -exec rm -rf "{}" +` for both asset dirs. */
export function cleanUpAssets(config: Pick<AppConfig, "version">, role: AssetRole): Argv {
  const olderSiblings = (path: string): Argv => {
    const slash = path.lastIndexOf("/");
    return ["find", path.slice(0, slash), "-maxdepth", "1", "-name", `'${role.name}-*'`, "!", "-name", path.slice(slash + 1), "-exec", "rm", "-rf", '"{}"', "+"];
  };
  return chain(olderSiblings(role.assetExtractedDirectory(config.version)), olderSiblings(role.assetVolumeDirectory(config.version)));
}

/** Where the local `V/` error pages directory is uploaded (recursively) on the server. */
export function errorPagesDirectory(config: Pick<AppConfig, "proxyAppConfigDirectory">): string {
  return `${config.proxyAppConfigDirectory}/error_pages`;
}

/** `mkdir -p .kamal/proxy/apps-config/SVC[-DEST]/error_pages`, before uploading the `V` directory. */
export function createErrorPagesDirectory(config: Pick<AppConfig, "proxyAppConfigDirectory">): Argv {
  return makeDirectory(errorPagesDirectory(config));
}

/** Where this version's pages go: `.../error_pages/V` (the proxy is told the same path inside its container). */
export function versionErrorPagesDirectory(config: Pick<AppConfig, "proxyAppConfigDirectory" | "version">): string {
  return `${errorPagesDirectory(config)}/${config.version}`;
}

/** `mkdir -p .../error_pages/V` before the pages are uploaded into it. */
export function createVersionErrorPagesDirectory(config: Pick<AppConfig, "proxyAppConfigDirectory" | "version">): Argv {
  return makeDirectory(versionErrorPagesDirectory(config));
}

/** Keep only this version's error pages. */
export function cleanUpErrorPages(config: Pick<AppConfig, "proxyAppConfigDirectory" | "version">): Argv {
  return ["find", errorPagesDirectory(config), "-mindepth", "1", "-maxdepth", "1", "!", "-name", config.version, "-exec", "rm", "-rf", "{}", "+"];
}
