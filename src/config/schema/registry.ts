/** `registry` (root and accessories): server, and username/password as a literal or `[SECRET_NAME]`. */
import * as v from "valibot";
import { type AnySchema, hash, oneOf, str } from "./common.ts";

function credential(): AnySchema {
  const oneSecret = v.pipe(
    v.custom<unknown[]>((x) => Array.isArray(x)),
    v.check((a) => a.length === 1 && (typeof a[0] === "string" || typeof a[0] === "number"), "should be a string or an array with one string (for secret lookup)"),
  ) as AnySchema;
  return oneOf({ string: str(), array: oneSecret }, "should be a string or an array with one string (for secret lookup)\u0000e.g. password: [ KAMAL_REGISTRY_PASSWORD ]");
}

export function registrySchema(): AnySchema {
  return hash({ server: str("e.g. server: ghcr.io"), username: credential(), password: credential() });
}
