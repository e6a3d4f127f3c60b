/**
 * The command tree as completion scripts need it, read from the (lazily loaded) citty commands, so
 * completions never drift from the commands themselves.
 */
import type { ArgsDef, CommandDef } from "citty";
import { GLOBAL_OPTION_SPECS } from "../global-options.ts";
import type { CompletionFlag, CompletionNode } from "./scripts.ts";

type AnyCommand = CommandDef<any>;

async function resolve<T>(value: T | (() => T) | (() => Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

function flagsOf(args: ArgsDef | undefined): CompletionFlag[] {
  const flags: CompletionFlag[] = [];
  for (const [name, def] of Object.entries(args ?? {})) {
    if (def.type === "positional") continue;
    const aliases = (def as { alias?: string | string[] }).alias;
    const alias = [aliases ?? []].flat().find((a) => a.length === 1);
    flags.push({ long: name, short: alias, description: def.description ?? "", takesValue: def.type === "string" || def.type === "enum" });
  }
  return flags;
}

export async function completionTree(command: AnyCommand, name = "sextant"): Promise<CompletionNode> {
  const meta = command.meta ? await resolve(command.meta) : undefined;
  const subs = command.subCommands ? await resolve(command.subCommands) : {};
  const subcommands: CompletionNode[] = [];
  for (const [subName, sub] of Object.entries(subs ?? {})) subcommands.push(await completionTree(await resolve(sub), subName));
  return {
    name,
    description: meta?.description ?? "",
    flags: flagsOf(command.args ? await resolve(command.args) : undefined),
    subcommands: subcommands.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export const globalFlags: CompletionFlag[] = GLOBAL_OPTION_SPECS.map((spec) => ({
  long: spec.long,
  short: spec.short,
  description: spec.description,
  takesValue: spec.kind !== "boolean",
}));
