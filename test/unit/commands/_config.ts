/** A configuration model built from an inline hash, like Kamal's command tests do. */
import { type Raw, SextantConfig } from "../../../src/config/model.ts";

export const BASE: Raw = {
  service: "app",
  image: "dhh/app",
  registry: { username: "dhh", password: "secret" },
  servers: ["1.1.1.1"],
  builder: { arch: "amd64" },
};

export function makeConfig(overrides: Raw = {}, options: { destination?: string; version?: string } = {}): SextantConfig {
  const raw = { ...structuredClone(BASE), ...overrides };
  return new SextantConfig(raw, {
    destination: options.destination,
    declaredVersion: options.version ?? "999",
    cwd: "/project",
    env: {},
    configFile: "config/deploy.yml",
    files: [],
  });
}

export function role(config: SextantConfig, name = "web") {
  const found = config.role(name);
  if (!found) throw new Error(`no role ${name}`);
  return found;
}
