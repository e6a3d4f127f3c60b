/** `servers`: a host list (one `web` role) or a hash of roles, each a host list or a role hash. */
import { type AnySchema, bool, dockerOptions, hash, hashOf, hostList, int, labels, oneOf, str } from "./common.ts";
import { envSchema } from "./env.ts";
import { loggingSchema } from "./logging.ts";
import { proxySchema } from "./proxy.ts";

function roleSchema(): AnySchema {
  return oneOf(
    {
      array: hostList(),
      hash: hash({
        hosts: hostList(),
        cmd: str('e.g. cmd: "bin/jobs"'),
        stop_timeout: int("seconds, e.g. stop_timeout: 30"),
        options: dockerOptions(),
        logging: loggingSchema(),
        proxy: oneOf({ boolean: bool(), hash: proxySchema() }, "should be a boolean or a hash\u0000proxy: true enables the root proxy settings for this role"),
        labels: labels(),
        env: envSchema({ allowTags: false, context: "role" }),
        asset_path: str(),
        replicas: int("containers of this role per host, e.g. replicas: 3"),
      }),
    },
    "should be an array or a hash\u0000a role is a list of hosts, or a hash with `hosts:` and role settings",
  );
}

export function serversSchema(): AnySchema {
  return oneOf({ array: hostList(), hash: hashOf(roleSchema()) }, "should be an array or a hash\u0000e.g. servers: [ 192.168.0.1 ], or servers: { web: [ 192.168.0.1 ], workers: [ 192.168.0.2 ] }");
}
