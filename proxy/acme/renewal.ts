/**
 * When a certificate is renewed and how a failed order backs off: renewal starts a third of the lifetime
 * before expiry, at most 30 days before (autocert renews 30 days before); a failure is retried after
 * 2 min, doubling up to 1 h, so a broken setup stays under the CA's rate limits.
 */
const DAY = 86_400_000;

/** setTimeout's longest delay (about 24.8 days); later times are reached in several steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function renewalTime(cert: { notBefore: number; notAfter: number }): number {
  return cert.notAfter - Math.min(30 * DAY, (cert.notAfter - cert.notBefore) / 3);
}

/** The wait before attempt number `failures + 1`. */
export function retryDelay(failures: number, baseMs = 120_000, maxMs = 3_600_000): number {
  return Math.min(baseMs * 2 ** (failures - 1), maxMs);
}
