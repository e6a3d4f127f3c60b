/**
 * Registry login/logout and the local registry container (Kamal's commands/registry.rb). Credentials are
 * passed in already resolved (secrets are read by the caller); they render escaped and are
 * redacted in logs. Docker Hub (no server) gets no server argument.
 */
import { type Argv, any, combine, docker, escape, sensitive } from "./shell.ts";

export const LOCAL_REGISTRY_CONTAINER = "kamal-docker-registry";
export const LOCAL_REGISTRY_IMAGE = "registry:3";

/** Something whose value is revealed only on demand (the config's Secret), or a plain string. */
type SecretText = string | { reveal(): string };

function reveal(value: SecretText): string {
  return typeof value === "string" ? value : value.reveal();
}

export interface RegistryCredentials {
  server?: string;
  username: SecretText;
  password: SecretText;
}

/** `docker login [SERVER] -u "USER" -p "PASS"` */
export function login(credentials: RegistryCredentials): Argv {
  return docker("login", credentials.server, "-u", sensitive(escape(reveal(credentials.username))), "-p", sensitive(escape(reveal(credentials.password))));
}

/** `docker logout [SERVER]` */
export function logout(server?: string): Argv {
  return docker("logout", server);
}

/** Start (or create) the local registry bound to 127.0.0.1:PORT, for `server: localhost:PORT`. */
export function setupLocal(port: number, image: string = LOCAL_REGISTRY_IMAGE): Argv {
  return any(docker("start", LOCAL_REGISTRY_CONTAINER), docker("run", "--detach", "-p", `127.0.0.1:${port}:5000`, "--name", LOCAL_REGISTRY_CONTAINER, image));
}

/** `docker stop kamal-docker-registry && docker rm kamal-docker-registry` */
export function removeLocal(): Argv {
  return combine(docker("stop", LOCAL_REGISTRY_CONTAINER), docker("rm", LOCAL_REGISTRY_CONTAINER));
}
