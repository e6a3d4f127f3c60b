/** The command tree's building blocks: commands loaded on demand, in maps without prototype keys. */
import type { CommandDef, SubCommandsDef } from "citty";

/** A lazily imported command module (keeps start-up fast: only the command run is loaded). */
export function lazy(load: () => Promise<{ default: CommandDef<any> }>): () => Promise<CommandDef<any>> {
  return () => load().then((m) => m.default);
}

/** A command map without Object.prototype keys, so `sextant constructor` is simply unknown. */
export function commandMap(entries: SubCommandsDef): SubCommandsDef {
  return Object.assign(Object.create(null) as SubCommandsDef, entries);
}
