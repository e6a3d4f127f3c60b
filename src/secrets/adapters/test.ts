/**
 * Kamal's `test` adapter, for trying secrets files without a password manager: every name (after
 * `--from`) maps to itself reversed, with LPAREN/RPAREN standing for parentheses. Needs --account.
 */
import { type AdapterContext, type FetchRequest, prefixed, type SecretsAdapter } from "./types.ts";

function reversed(name: string): string {
  return [...name].reverse().join("").replaceAll("NERAPL", "(").replaceAll("NERAPR", ")");
}

export const testAdapter: SecretsAdapter = {
  name: "test",
  aliases: [],
  vendor: "Test",
  cli: "",
  requiresAccount: true,
  installUrl: "",
  signInHint: () => "no sign-in needed",
  fetch(_ctx: AdapterContext, request: FetchRequest): Record<string, string> {
    return Object.fromEntries(prefixed(request.secrets, request.from).map((s) => [s, reversed(s)]));
  },
};
