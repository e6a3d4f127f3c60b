/** Registry settings: server, and credentials given literally or as `[SECRET_NAME]`. */
import { toText } from "./env-model.ts";
import type { Secrets } from "./secrets.ts";
import { Secret } from "./secrets.ts";

type Credential = { literal: string } | { secret: string };

export interface RegistrySettings {
  /** Undefined = Docker Hub. */
  server?: string;
  /** `localhost[:PORT]`: no logins; a local registry container is used. */
  local: boolean;
  /** Port of a local registry (default 5000 when unspecified). */
  localPort?: number;
  username?: Credential;
  password?: Credential;
  /** Resolve a credential (secrets load lazily). Password values come back as Secret. */
  resolveUsername(secrets: Secrets): string | undefined;
  resolvePassword(secrets: Secrets): Secret | undefined;
}

function credential(value: unknown): Credential | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return { secret: toText(value[0]) };
  return { literal: toText(value) };
}

function isLocalRegistryServer(server: string | undefined): boolean {
  return server !== undefined && /^localhost(:|$)/.test(server);
}

export function registrySettings(raw: Record<string, unknown> | undefined): RegistrySettings {
  const server = raw?.server === undefined || raw.server === null ? undefined : toText(raw.server);
  const local = isLocalRegistryServer(server);
  const username = credential(raw?.username);
  const password = credential(raw?.password);
  const port = local ? Number(server!.split(":")[1] ?? "5000") : undefined;
  return {
    server,
    local,
    localPort: port,
    username,
    password,
    resolveUsername(secrets) {
      if (!username) return undefined;
      return "literal" in username ? username.literal : secrets.get(username.secret).reveal();
    },
    resolvePassword(secrets) {
      if (!password) return undefined;
      return "literal" in password ? new Secret("password", password.literal) : secrets.get(password.secret);
    },
  };
}
