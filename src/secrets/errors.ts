/**
 * Errors of `secrets fetch/extract/print` and the vendor CLI adapters. Messages name the vendor CLI
 * and say how to sign in; they never contain a secret value (values are only ever printed by
 * `secrets print` and `secrets fetch`/`extract` on stdout).
 */
import { SextantError } from "../errors.ts";

export class SecretsError extends SextantError {}
