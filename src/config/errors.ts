/**
 * Configuration errors a user can act on: every problem names the file, line and column, the key
 * path (Kamal's slash notation, e.g. `servers/web/hosts/0`) and what is wrong, with a hint.
 */
import { SextantError } from "../errors.ts";

export interface Position {
  file: string;
  line: number;
  col: number;
}

export interface Problem {
  /** Slash-separated key path, "" for the file as a whole. */
  path: string;
  message: string;
  hint?: string;
  at?: Position;
}

export function formatProblem(problem: Problem): string {
  const where = problem.at ? `${problem.at.file}:${problem.at.line}:${problem.at.col}: ` : "";
  const path = problem.path ? `${problem.path}: ` : "";
  const head = `${where}${path}${problem.message}`;
  return problem.hint ? `${head}\n    hint: ${problem.hint}` : head;
}

/** All problems found in the configuration, reported at once. */
export class ConfigError extends SextantError {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[], options: { hint?: string } = {}) {
    const list = problems.length === 0 ? [{ path: "", message: "invalid configuration" }] : problems;
    const header = list.length > 1 ? `${list.length} problems in the configuration:\n` : "";
    const body = list.map(formatProblem).join("\n");
    super(`${header}${body}`, { hint: options.hint });
    this.problems = list;
  }
}
