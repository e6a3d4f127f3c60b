/** `aliases`: name -> command line. */
import { type AnySchema, hashOf, str } from "./common.ts";

export function aliasesSchema(): AnySchema {
  return hashOf(str('e.g. console: app exec -i --reuse "bin/rails console"'), 'e.g. aliases: { console: app exec -i --reuse "bin/rails console" }');
}
