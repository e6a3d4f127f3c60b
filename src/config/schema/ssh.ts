/** `ssh`: how to connect to the servers. */
import { type AnySchema, arrayOf, bool, hash, oneOf, str } from "./common.ts";

export function sshSchema(): AnySchema {
  return hash({
    user: str("e.g. user: app"),
    port: str("e.g. port: 2222"),
    proxy: str("e.g. proxy: root@proxy-host"),
    proxy_command: str(),
    log_level: str("e.g. log_level: debug"),
    keys_only: bool(),
    keys: arrayOf(str(), 'e.g. keys: [ "~/.ssh/id.pem" ]'),
    key_data: arrayOf(str(), "e.g. key_data: [ SSH_PRIVATE_KEY ]"),
    config: oneOf({ boolean: bool(), string: str(), array: arrayOf(str()) }, "should be a boolean or a string or an array"),
    forward_agent: bool(),
  });
}
