/**
 * Kamal's argument rendering for the derived args the model exposes (`sextant config` prints them,
 * command builders use them). One implementation lives in src/commands/shell.ts; these are its
 * string-only forms (the model never holds secrets in args).
 */
import { argumentize as argumentizeTokens, escape, optionize as optionizeTokens } from "../commands/shell.ts";

export const escapeShellValue = escape;

/** `argumentize("--env", {A: "b"})` -> ["--env", 'A="b"']; a list gives ["--volume", "x", ...] unquoted. */
export function argumentize(flag: string, attributes: Record<string, unknown> | readonly unknown[] | undefined | null): string[] {
  const normalized = Array.isArray(attributes) ? attributes.map(String) : (attributes as Record<string, unknown> | null | undefined);
  return argumentizeTokens(flag, normalized).map((token) => (typeof token === "string" ? token : token.sensitive));
}

/** `optionize({memory: "2g", init: true})` -> ["--memory", '"2g"', "--init"]; with "=": ['--memory="2g"']. */
export function optionize(args: Record<string, unknown> | undefined | null, withSeparator?: string): string[] {
  return optionizeTokens(args, { separator: withSeparator });
}
