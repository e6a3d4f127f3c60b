/**
 * Ruby's Shellwords, as Kamal uses it: `escape` for the JSON that `secrets fetch` prints (so that
 * `SECRETS=$(kamal secrets fetch ...)` in a secrets file survives a later `$(... ${SECRETS})`), and
 * `split` for alias command lines and in-process `kamal secrets ...` substitutions.
 */

/** `Shellwords.escape`: a backslash before every character outside `[A-Za-z0-9_-.,:+/@\n]`, newlines quoted. */
export function shellEscape(value: string): string {
  if (value === "") return "''";
  return value.replace(/[^A-Za-z0-9_\-.,:+/@\n]/gu, (ch) => `\\${ch}`).replaceAll("\n", "'\n'");
}

export class ShellSplitError extends Error {}

/**
 * `Shellwords.split`: words separated by blanks; 'single quotes' are literal; "double quotes" keep
 * `\$ \` \" \\ \<newline>` escapes; a backslash outside quotes escapes the next character.
 * Throws ShellSplitError on an unmatched quote.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  const token = /\s*(?:([^\s\\'"]+)|'([^']*)'|"((?:[^"\\]|\\[\s\S])*)"|(\\[\s\S]?)|(\S))(\s)?/y;
  let field = "";
  let pos = 0;
  // Skip leading blanks so an empty or blank line yields no words.
  while (pos < line.length) {
    token.lastIndex = pos;
    const m = token.exec(line);
    if (!m || m[0] === "") break;
    const [, word, single, double, escaped, garbage, sep] = m;
    if (garbage !== undefined) throw new ShellSplitError(`Unmatched quote: ${JSON.stringify(line)}`);
    if (word !== undefined) field += word;
    else if (single !== undefined) field += single;
    else if (double !== undefined) field += double.replace(/\\([$`"\\\n])/g, "$1");
    else if (escaped !== undefined) field += escaped.replace(/\\([\s\S])/g, "$1");
    pos = token.lastIndex;
    if (sep !== undefined || pos === line.length) {
      words.push(field);
      field = "";
    }
  }
  return words;
}
