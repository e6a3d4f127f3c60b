/**
 * Go's time.Duration syntax, because kamal-proxy's flags take `500ms`, `30s`, `1m30s` and Kamal writes `Ns`.
 * Internally durations are milliseconds (fractions allowed); the state file and Go use nanoseconds.
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parse a Go duration into milliseconds; throws `time: invalid duration "x"` like Go. */
export function parseDuration(text: string): number {
  const fail = (): never => {
    throw new Error(`time: invalid duration "${text}"`);
  };
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") fail();
  let total = 0;
  const re = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) {
      if (/^(\d+\.?\d*|\.\d+)/.test(s)) throw new Error(`time: missing unit in duration "${text}"`);
      fail();
    }
    total += Number(m![1]) * UNIT_MS[m![2]!]!;
    s = s.slice(m![0].length);
  }
  return sign * total;
}

/** Format milliseconds the way Go's Duration.String() does (20ms, 1.5s, 1m30s, 2h0m0s). */
export function formatDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return "0s";
  const neg = ns < 0;
  if (neg) ns = -ns;
  let out: string;
  if (ns < 1e9) {
    if (ns < 1e3) out = `${ns}ns`;
    else if (ns < 1e6) out = `${trim(ns / 1e3)}µs`;
    else out = `${trim(ns / 1e6)}ms`;
  } else {
    const h = Math.floor(ns / 3.6e12);
    const m = Math.floor((ns % 3.6e12) / 6e10);
    const sec = (ns % 6e10) / 1e9;
    out = h > 0 ? `${h}h${m}m${trim(sec)}s` : m > 0 ? `${m}m${trim(sec)}s` : `${trim(sec)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

export const msToNs = (ms: number): number => Math.round(ms * 1e6);
export const nsToMs = (ns: number): number => ns / 1e6;
