/**
 * Character tests for the loops that stand in for regular expressions on the proxy's idle paths (start,
 * deploy, health checks, the fast lane, log lines, the built-in error pages). The first regex a process
 * runs loads the regex engine's parser and compiler, about 0.6 MB of an idle proxy's memory (each first
 * use of a runtime feature maps more of Bun's code: scripts/bench-runtime-costs). Under load the loops
 * are JIT-compiled like the rest of the request path. test/proxy/regex-free.test.ts checks each loop
 * against the regex it replaced.
 */

/** 0-9. */
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** What a regex's \w matches: A-Z, a-z, 0-9 and _. */
export const isWordChar = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Whether `text[from, to)` is all digits (true for an empty range: callers check the length they need). */
export function isDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** What a regex's \s matches: ECMAScript's white space and line terminators. */
export function isRegexSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
