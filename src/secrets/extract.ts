/**
 * `secrets extract NAME SECRETS`: the value of NAME in the JSON printed by `secrets fetch`: the key
 * NAME itself, else the first key ending in `/NAME` (so `DB_PASSWORD` finds `Vault/Item/DB_PASSWORD`).
 * Errors never show the JSON: it holds secret values.
 */
import { SecretsError } from "./errors.ts";
import { shellSplit } from "./shell-words.ts";

export function extractSecret(name: string, secretsJson: string): string {
  const secrets = parseSecretsJson(secretsJson);
  let value: unknown = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
  if (value === undefined || value === null || value === false) {
    value = Object.entries(secrets).find(([key]) => key.endsWith(`/${name}`))?.[1];
  }
  if (value === undefined || value === null) {
    const keys = Object.keys(secrets);
    throw new SecretsError(`Could not find secret ${name}`, {
      hint: keys.length > 0 ? `the fetched secrets are: ${keys.join(", ")}` : "the fetched secrets are empty: check the names given to `secrets fetch`",
    });
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function parseSecretsJson(text: string): Record<string, unknown> {
  const parsed = tryParse(text) ?? tryParse(unescapeShell(text));
  if (parsed === undefined) {
    throw new SecretsError("The secrets given to `secrets extract` are not the JSON printed by `secrets fetch`", {
      hint: 'in a secrets file: SECRETS=$(kamal secrets fetch ...) then NAME=$(kamal secrets extract NAME ${SECRETS}); in a shell, quote it: "$SECRETS"',
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SecretsError("The secrets given to `secrets extract` are not a JSON object", { hint: "pass the output of `secrets fetch`" });
  }
  return parsed as Record<string, unknown>;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Still shell-escaped (`\{\"A\":...\}`, e.g. "$SECRETS" quoted in a shell): undo the escaping. */
function unescapeShell(text: string): string {
  try {
    return shellSplit(text).join(" ");
  } catch {
    return text;
  }
}
