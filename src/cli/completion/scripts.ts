/**
 * Shell completion scripts for bash, zsh and fish, written from a description of the command tree
 * (pure: tree in, script out). Commands and sub-commands complete by name, options by the command
 * they belong to plus Kamal's global options; `--config-file` completes files. Works with macOS's
 * bash 3.2 (no associative arrays).
 */

export interface CompletionFlag {
  long: string;
  short?: string;
  description: string;
  takesValue: boolean;
}

export interface CompletionNode {
  name: string;
  description: string;
  flags: CompletionFlag[];
  subcommands: CompletionNode[];
}

interface Entry {
  path: string;
  node: CompletionNode;
}

function entries(root: CompletionNode): Entry[] {
  const out: Entry[] = [];
  const walk = (node: CompletionNode, path: string) => {
    out.push({ path, node });
    for (const sub of node.subcommands) walk(sub, path ? `${path} ${sub.name}` : sub.name);
  };
  walk(root, "");
  return out;
}

const flagWords = (flags: readonly CompletionFlag[]) => flags.flatMap((f) => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])]);
const bashWord = (s: string) => s.replace(/[^A-Za-z0-9_.:=-]/g, "");

export function bashCompletion(root: CompletionNode, globals: readonly CompletionFlag[]): string {
  const all = entries(root);
  const cases = (pick: (e: Entry) => string[]) => all.map((e) => `    ${JSON.stringify(e.path)}) echo ${JSON.stringify(pick(e).map(bashWord).join(" "))} ;;`).join("\n");
  const valued = [...globals, ...all.flatMap((e) => e.node.flags)].filter((f) => f.takesValue);
  const valuedWords = [...new Set(flagWords(valued))].sort().join("|");
  return `# sextant completion for bash. Load it now: eval "$(sextant completion bash)"
# or for good: sextant completion bash > ~/.local/share/bash-completion/completions/sextant
_sextant_subcommands() {
  case "$1" in
${cases((e) => e.node.subcommands.map((s) => s.name))}
  esac
}
_sextant_flags() {
  case "$1" in
${cases((e) => flagWords(e.node.flags))}
  esac
}
_sextant() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    case " $(_sextant_subcommands "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  case "$prev" in
    --config-file|-c) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valuedWords || "--"}) COMPREPLY=(); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_sextant_flags "$path") ${flagWords(globals).join(" ")}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_sextant_subcommands "$path")" -- "$cur"))
  fi
}
complete -F _sextant sextant
`;
}

/** zsh runs the bash function through bashcompinit (ships with zsh): one logic, two shells. */
export function zshCompletion(root: CompletionNode, globals: readonly CompletionFlag[]): string {
  return `#compdef sextant
# sextant completion for zsh. Load it now: eval "$(sextant completion zsh)"
# or for good: sextant completion zsh > "\${fpath[1]}/_sextant"
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root, globals)
  .split("\n")
  .filter((l) => !l.startsWith("# "))
  .join("\n")}`;
}

const fishText = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

export function fishCompletion(root: CompletionNode, globals: readonly CompletionFlag[]): string {
  const lines = ["# sextant completion for fish. Load it now: sextant completion fish | source", "# or for good: sextant completion fish > ~/.config/fish/completions/sextant.fish", "complete -c sextant -f"];
  const flag = (f: CompletionFlag, condition?: string) =>
    [
      "complete -c sextant",
      condition ? `-n ${fishText(condition)}` : "",
      `-l ${f.long}`,
      f.short ? `-s ${f.short}` : "",
      f.takesValue ? (f.long === "config-file" ? "-r -F" : "-r") : "",
      `-d ${fishText(f.description)}`,
    ]
      .filter(Boolean)
      .join(" ");
  for (const g of globals) lines.push(flag(g));
  for (const { path, node } of entries(root)) {
    const words = path ? path.split(" ") : [];
    // Where this node's sub-commands apply: after exactly its path.
    const at = words.length === 0 ? "__fish_use_subcommand" : `__sextant_at ${words.join(" ")}`;
    for (const sub of node.subcommands) lines.push(`complete -c sextant -n ${fishText(at)} -a ${sub.name} -d ${fishText(sub.description)}`);
    if (words.length > 0) for (const f of node.flags) lines.push(flag(f, `__sextant_at ${words.join(" ")}`));
  }
  return `${[
    lines[0],
    lines[1],
    "# True when the command's words (options skipped) are exactly the arguments.",
    "function __sextant_at",
    "    set -l words (commandline -opc | string match -v -- '-*')",
    "    set -e words[1]",
    "    test (count $words) -eq (count $argv); or return 1",
    "    for i in (seq (count $argv))",
    "        test $words[$i] = $argv[$i]; or return 1",
    "    end",
    "end",
    ...lines.slice(2),
  ].join("\n")}\n`;
}
