/** The root of `config/deploy.yml` (Kamal's configuration.yml). `x-` keys are removed before this runs. */

import { accessoriesSchema } from "./accessory.ts";
import { aliasesSchema } from "./aliases.ts";
import { bootSchema } from "./boot.ts";
import { builderSchema } from "./builder.ts";
import { type AnySchema, arrayOf, bool, hash, hashOf, int, labels, oneOf, str } from "./common.ts";
import { envSchema } from "./env.ts";
import { loggingSchema } from "./logging.ts";
import { outputSchema } from "./output.ts";
import { proxySchema } from "./proxy.ts";
import { registrySchema } from "./registry.ts";
import { serversSchema } from "./servers.ts";
import { sshSchema } from "./ssh.ts";
import { sshkitSchema } from "./sshkit.ts";

export const ROOT_KEYS = [
  "service",
  "image",
  "labels",
  "volumes",
  "registry",
  "servers",
  "env",
  "asset_path",
  "hooks_path",
  "hooks_output",
  "secrets_path",
  "error_pages_path",
  "require_destination",
  "primary_role",
  "allow_empty_roles",
  "retain_containers",
  "minimum_version",
  "readiness_delay",
  "deploy_timeout",
  "drain_timeout",
  "stop_timeout",
  "run_directory",
  "ssh",
  "builder",
  "accessories",
  "proxy",
  "sshkit",
  "boot",
  "logging",
  "output",
  "aliases",
] as const;

let cached: AnySchema | undefined;

export function rootSchema(): AnySchema {
  cached ??= hash(
    {
      service: str("e.g. service: my-app"),
      image: str("e.g. image: my-user/my-app"),
      labels: labels(),
      volumes: arrayOf(str(), "e.g. volumes: [ /path/on/host:/path/in/container:ro ]"),
      registry: registrySchema(),
      servers: serversSchema(),
      env: envSchema({ allowTags: true, context: "root" }),
      asset_path: str("e.g. asset_path: /rails/public/assets"),
      hooks_path: str(),
      hooks_output: oneOf({ string: str(), hash: hashOf(str()) }, "should be a string or a hash\u0000e.g. hooks_output: verbose, or hooks_output: { pre-deploy: verbose }"),
      secrets_path: str(),
      error_pages_path: str(),
      require_destination: bool(),
      primary_role: str("e.g. primary_role: workers"),
      allow_empty_roles: bool(),
      retain_containers: int("e.g. retain_containers: 3"),
      minimum_version: str("e.g. minimum_version: 2.0.0"),
      readiness_delay: int("seconds, e.g. readiness_delay: 4"),
      deploy_timeout: int("seconds, e.g. deploy_timeout: 10"),
      drain_timeout: int("seconds, e.g. drain_timeout: 10"),
      stop_timeout: int("seconds, e.g. stop_timeout: 30"),
      run_directory: str(),
      ssh: sshSchema(),
      builder: builderSchema(),
      accessories: accessoriesSchema(),
      proxy: proxySchema(),
      sshkit: sshkitSchema(),
      boot: bootSchema(),
      logging: loggingSchema(),
      output: outputSchema(),
      aliases: aliasesSchema(),
    },
    "the configuration file should be a hash of settings, starting with e.g. `service: my-app`",
  );
  return cached;
}
