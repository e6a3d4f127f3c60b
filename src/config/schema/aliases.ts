/** `aliases`: name -> command line. */
import { hashOf, str, type AnySchema } from "./common.ts";

export function aliasesSchema(): AnySchema {
  return hashOf(str('e.g. console: app exec -i --reuse "bin/rails console"'), 'e.g. aliases: { console: app exec -i --reuse "bin/rails console" }');
}
