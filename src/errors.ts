/**
 * Errors a user can act on. Everything the CLI throws on purpose is a SextantError: main.ts prints
 * its message (and hint) on one line and exits 1. Any other error is a bug and prints a stack with -v.
 */
export class SextantError extends Error {
  /** What to do next, printed under the message. */
  readonly hint?: string;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Wrong command line: unknown command or option, missing argument. */
export class UsageError extends SextantError {}
