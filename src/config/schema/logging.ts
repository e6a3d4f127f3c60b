/** `logging`: Docker log driver and options (root and per role). */
import { type AnySchema, anyHash, hash, str } from "./common.ts";

export function loggingSchema(): AnySchema {
  return hash({ driver: str("e.g. driver: json-file"), options: anyHash("e.g. options: { max-size: 100m }") });
}
