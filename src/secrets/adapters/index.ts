/** The secrets adapters by name, as `kamal secrets fetch --adapter NAME` knows them. */
import { SecretsError } from "../errors.ts";
import { awsSecretsManager } from "./aws-secrets-manager.ts";
import { bitwarden } from "./bitwarden.ts";
import { bitwardenSecretsManager } from "./bitwarden-sm.ts";
import { doppler } from "./doppler.ts";
import { enpass } from "./enpass.ts";
import { gcpSecretManager } from "./gcp-secret-manager.ts";
import { lastPass } from "./lastpass.ts";
import { onePassword } from "./one-password.ts";
import { passbolt } from "./passbolt.ts";
import { testAdapter } from "./test.ts";
import type { SecretsAdapter } from "./types.ts";

const ADAPTERS: readonly SecretsAdapter[] = [onePassword, bitwarden, bitwardenSecretsManager, lastPass, awsSecretsManager, gcpSecretManager, doppler, passbolt, enpass, testAdapter];

/** Find an adapter by its name or another accepted spelling (case-insensitive). */
export function lookupAdapter(name: string): SecretsAdapter {
  const wanted = name.toLowerCase();
  const adapter = ADAPTERS.find((a) => a.name === wanted || a.aliases.includes(wanted));
  if (adapter) return adapter;
  throw new SecretsError(`Unknown secrets adapter: ${name}`, {
    hint: `use one of ${ADAPTERS.filter((a) => a.name !== "test")
      .map((a) => a.name)
      .join(", ")}`,
  });
}

export type { SecretsAdapter } from "./types.ts";
