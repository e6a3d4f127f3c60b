/**
 * Quoting for the remote POSIX shell. The only shell rendering in the SSH layer: commands given
 * as argv are joined with `shellJoin`; a command given as a string is sent as is.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell: unchanged when it is plainly safe, otherwise single-quoted ('\'' for '). */
export function shellQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line for a POSIX shell from an argument vector. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** The command line of a command given either as argv or as a ready shell string. */
export function commandLine(command: string | readonly string[]): string {
  return typeof command === "string" ? command : shellJoin(command);
}
