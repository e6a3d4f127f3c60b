/** `accessories/<name>`: a database, cache or other service run next to the app. */
import { type AnySchema, arrayOf, dockerOptions, hash, hashOf, hostList, labels, oneOf, str } from "./common.ts";
import { envSchema } from "./env.ts";
import { proxySchema } from "./proxy.ts";
import { registrySchema } from "./registry.ts";

function mounts(kind: "files" | "directories"): AnySchema {
  const example = kind === "files" ? "config/my.cnf:/etc/mysql/my.cnf" : "mysql-data:/var/lib/mysql";
  return arrayOf(oneOf({ string: str(), hash: hash({ local: str(), remote: str(), mode: str(), owner: str(), options: str() }) }, `should be a string or a hash\u0000e.g. ${kind}: [ ${example} ]`));
}

function accessorySchema(): AnySchema {
  return hash({
    service: str(),
    image: str("e.g. image: mysql:8.0"),
    registry: registrySchema(),
    host: str("e.g. host: 192.168.0.5"),
    hosts: hostList(),
    role: str(),
    roles: arrayOf(str()),
    tag: str(),
    tags: arrayOf(str()),
    cmd: str(),
    port: str('e.g. port: "127.0.0.1:3306:3306"'),
    labels: labels(),
    options: dockerOptions(),
    env: envSchema({ allowTags: false, context: "accessory" }),
    files: mounts("files"),
    directories: mounts("directories"),
    volumes: arrayOf(str(), "e.g. volumes: [ /path/on/host:/path/in/container ]"),
    network: str(),
    proxy: proxySchema(),
  });
}

export function accessoriesSchema(): AnySchema {
  return hashOf(accessorySchema(), "e.g. accessories: { db: { image: mysql:8.0, host: 192.168.0.5 } }");
}
