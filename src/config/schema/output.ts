/** `output`: where command logs are shipped (OTel) or written (file). */
import { type AnySchema, hash, str } from "./common.ts";

export function outputSchema(): AnySchema {
  return hash({
    otel: hash({ endpoint: str("e.g. endpoint: http://otel-gateway:4318") }),
    file: hash({ path: str("e.g. path: /var/log/kamal/") }),
  });
}
