/**
 * The command runner: takes the global options out, walks the (lazy) command tree, prints help,
 * rejects unknown commands and options with a suggestion, then lets citty parse and run the command.
 * It never exits the process; it returns the exit code to main.ts.
 */

import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { type ArgsDef, type CommandDef, renderUsage, runCommand, type SubCommandsDef } from "citty";
import { UsageError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { SEXTANT_VERSION } from "../version.ts";
import { setCommandPath, setGlobalOptions } from "./context.ts";
import { type GlobalOptions, renderGlobalOptionsHelp, splitGlobalOptions } from "./global-options.ts";

type AnyCommand = CommandDef<any>;

async function resolve<T>(value: T | (() => T) | (() => Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

async function subCommandsOf(cmd: AnyCommand): Promise<SubCommandsDef | undefined> {
  const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
  return subs && Object.keys(subs).length > 0 ? subs : undefined;
}

/** Find a sub-command by name or alias. */
async function findSubCommand(subs: SubCommandsDef, name: string): Promise<AnyCommand | undefined> {
  if (Object.hasOwn(subs, name)) return resolve(subs[name]!);
  for (const entry of Object.values(subs)) {
    const sub = await resolve(entry);
    const meta = sub.meta ? await resolve(sub.meta) : undefined;
    const aliases = meta?.alias === undefined ? [] : Array.isArray(meta.alias) ? meta.alias : [meta.alias];
    if (aliases.includes(name)) return sub;
  }
  return undefined;
}

interface Resolved {
  command: AnyCommand;
  /** As typed, for help and errors (`sextant app stale-containers`). */
  path: string[];
  /** The commands' own names, without the root (`["app", "stale_containers"]`). */
  names: string[];
  rest: string[];
}

/** `aliasNames`: the config's aliases, suggested along with the top-level commands. */
async function resolveCommandPath(root: AnyCommand, tokens: string[], aliasNames: readonly string[] = []): Promise<Resolved> {
  let command = root;
  const path = [await commandName(root)];
  const names: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.startsWith("-")) break;
    const subs = await subCommandsOf(command);
    if (!subs) break;
    const next = await findSubCommand(subs, token);
    if (!next) {
      if (command.run) break; // a positional argument of a command that has both
      const suggestion = closest(token, path.length === 1 ? [...Object.keys(subs), ...aliasNames] : Object.keys(subs));
      const where = path.length > 1 ? ` for "${path.join(" ")}"` : "";
      throw new UsageError(`Unknown command "${token}"${where}`, {
        hint: suggestion ? `Did you mean "${suggestion}"? See \`${path.join(" ")} --help\`.` : `See \`${path.join(" ")} --help\`.`,
      });
    }
    command = next;
    path.push(token);
    names.push(await commandName(next, token));
    i++;
  }
  return { command, path, names, rest: tokens.slice(i) };
}

async function commandName(cmd: AnyCommand, fallback = "sextant"): Promise<string> {
  const meta = cmd.meta ? await resolve(cmd.meta) : undefined;
  return meta?.name ?? fallback;
}

/** Option names (with aliases, kebab and camel spellings) a command accepts. */
function knownOptions(args: ArgsDef): Set<string> {
  const names = new Set<string>(["help"]);
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const spellings = [name, kebab(name), ...(alias === undefined ? [] : Array.isArray(alias) ? alias : [alias])];
    for (const s of spellings) {
      names.add(s);
      names.add(s.replaceAll("-", "_"));
      if (def.type === "boolean" || def.type === undefined) names.add(`no-${s}`);
    }
  }
  return names;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function checkOptions(args: ArgsDef, tokens: string[], path: string[]): void {
  const known = knownOptions(args);
  for (const token of tokens) {
    if (token === "--") return;
    if (!token.startsWith("-") || token === "-" || /^-\d/.test(token)) continue;
    const names = token.startsWith("--") ? [token.slice(2).split("=")[0]!] : token.slice(1).split("=")[0]!.split("");
    for (const name of names) {
      if (known.has(name)) continue;
      const shown = token.startsWith("--") ? `--${name}` : `-${name}`;
      const suggestion = closest(
        name,
        [...known].filter((k) => k.length > 1),
      );
      throw new UsageError(`Unknown option ${shown} for "${path.join(" ")}"`, {
        hint: suggestion ? `Did you mean --${suggestion}?` : `See \`${path.join(" ")} --help\`.`,
      });
    }
  }
}

async function renderHelp(command: AnyCommand, path: string[]): Promise<string> {
  const parent: AnyCommand = { meta: { name: path.slice(0, -1).join(" ") } };
  // Options are shown as users type them (--skip-push), whatever the spelling in the definition.
  const args: ArgsDef = command.args ? await resolve(command.args) : {};
  const shown = { ...command, args: Object.fromEntries(Object.entries(args).map(([k, v]) => [v.type === "positional" ? k : kebab(k), v])) };
  const usage = await renderUsage(shown, path.length > 1 ? parent : undefined);
  const text = `${usage}\n\n${renderGlobalOptionsHelp()}\n`;
  // citty colours unconditionally; keep colour for terminals only.
  return process.stdout.isTTY && !process.env.NO_COLOR ? text : text.replace(/\x1b\[[0-9;]*m/g, "");
}

export interface CliIo {
  out: (text: string) => void;
}

const defaultIo: CliIo = { out: (text) => process.stdout.write(text) };

// ---- Aliases (`aliases:` in deploy.yml) ------------------------------------------------------
// As in Kamal: a first command word that is not a built-in command is looked up in the config's
// aliases (the config read with the -c/-d given). The word is replaced by the alias's command line,
// split like a shell would, and the CLI runs again with everything else as typed, so
// `sextant -d staging console -r workers` runs `sextant -d staging app exec ... -r workers`.
// An alias that shadows a built-in command is rejected by the config's validation.

/** The config's aliases; none without a config file. A broken config is an error, unless `word` looks like a typo of a command. */
async function configAliases(globals: GlobalOptions, word: string, commandNames: readonly string[]): Promise<Record<string, string>> {
  if (!existsSync(resolvePath(globals.configFile))) return {};
  const { loadConfig } = await import("../config/index.ts");
  try {
    return loadConfig({ configFile: globals.configFile, destination: globals.destination, version: globals.version }).aliases;
  } catch (error) {
    if (closest(word, commandNames)) return {}; // report the unknown command with its suggestion instead
    throw error;
  }
}

/** Index in argv of the n-th word that is not a global option or its value. */
function argvIndexOfWord(argv: readonly string[], n: number): number {
  for (let i = 0; i < argv.length; i++) {
    try {
      if (splitGlobalOptions(argv.slice(0, i + 1)).rest.length === n + 1) return i;
    } catch {
      // a prefix ending in an option that still needs its value
    }
  }
  return -1;
}

/** Run the CLI for argv (without the executable and script). Returns the exit code. */
export async function runCli(root: AnyCommand, argv: readonly string[], io: CliIo = defaultIo, expandedAliases: readonly string[] = []): Promise<number> {
  const { globals, rest, bareVersion } = splitGlobalOptions(argv);
  setGlobalOptions(globals);
  if (bareVersion && rest.length === 0) {
    io.out(`${SEXTANT_VERSION}\n`);
    return 0;
  }
  // `sextant help deploy` is `sextant deploy --help`, as in Kamal (Thor).
  const helpWord = rest[0] === "help";
  const tokens = helpWord ? rest.slice(1) : rest;
  const beforeDashDash = tokens.includes("--") ? tokens.slice(0, tokens.indexOf("--")) : tokens;
  const wantsHelp = helpWord || beforeDashDash.includes("--help");

  let aliasNames: string[] = [];
  const word = tokens[0];
  const rootCommands = await subCommandsOf(root);
  if (word !== undefined && !word.startsWith("-") && rootCommands && !(await findSubCommand(rootCommands, word))) {
    const aliases = await configAliases(globals, word, Object.keys(rootCommands));
    if (Object.hasOwn(aliases, word)) {
      if (expandedAliases.includes(word)) throw new UsageError(`Alias '${word}' refers to itself (${[...expandedAliases, word].join(" -> ")})`, { hint: "fix aliases: in the config" });
      const { shellSplit } = await import("../secrets/shell-words.ts");
      let expansion: string[];
      try {
        expansion = shellSplit(aliases[word]!);
      } catch {
        throw new UsageError(`Alias '${word}' has an unmatched quote: ${aliases[word]}`, { hint: "fix aliases: in the config" });
      }
      if (expansion.length === 0) throw new UsageError(`Alias '${word}' is empty`, { hint: `give it a command line, e.g. ${word}: app exec -i --reuse "bin/rails console"` });
      const at = argvIndexOfWord(argv, helpWord ? 1 : 0);
      return runCli(root, [...argv.slice(0, at), ...expansion, ...argv.slice(at + 1)], io, [...expandedAliases, word]);
    }
    aliasNames = Object.keys(aliases);
  }

  const {
    command,
    path,
    names,
    rest: commandArgs,
  } = await resolveCommandPath(
    root,
    tokens.filter((t) => t !== "--help" || !wantsHelp),
    aliasNames,
  );
  const isGroupWithoutRun = !command.run && (await subCommandsOf(command)) !== undefined;
  if (wantsHelp || (isGroupWithoutRun && commandArgs.length === 0)) {
    io.out(await renderHelp(command, path));
    return 0;
  }
  const args = command.args ? await resolve(command.args) : {};
  checkOptions(args, commandArgs, path);
  setCommandPath(names);
  try {
    const { result } = await runCommand(command, { rawArgs: commandArgs });
    return typeof result === "number" ? result : 0;
  } catch (error) {
    // citty's own argument errors (missing positional, bad enum value) are usage errors.
    if (error instanceof Error && error.name === "CLIError") {
      throw new UsageError(error.message, { hint: `See \`${path.join(" ")} --help\`.` });
    }
    throw error;
  }
}
