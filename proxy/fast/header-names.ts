/**
 * Header names as apps, servers and browsers commonly spell them, recognised in place in a head's text:
 * a known name comes back as one shared lowercase string, with no slice and no lowercased copy made per
 * header, and later Set and Map lookups on it find its hash already computed. (A Map keyed by the
 * sliced name cost more than lowercasing the whole head; comparing in place with startsWith, among the
 * few names of the same length, costs less.) Response names first, then request names.
 */
const COMMON = `
  Accept-Ranges Age Cache-Control Connection Content-Disposition Content-Encoding Content-Language
  Content-Length Content-Location Content-Range Content-Security-Policy Content-Type Date ETag Etag
  Expires Keep-Alive Last-Modified Link Location Referrer-Policy Retry-After Server Set-Cookie
  Strict-Transport-Security Trailer Transfer-Encoding Vary Via WWW-Authenticate X-Content-Type-Options
  X-Frame-Options X-Powered-By X-Runtime X-XSS-Protection
  Accept Accept-Encoding Accept-Language Authorization Cookie DNT Host If-Modified-Since If-None-Match
  Origin Pragma Priority Referer Sec-Ch-Ua Sec-Ch-Ua-Mobile Sec-Ch-Ua-Platform Sec-Fetch-Dest
  Sec-Fetch-Mode Sec-Fetch-Site Sec-Fetch-User Upgrade-Insecure-Requests User-Agent X-Forwarded-For
  X-Forwarded-Host X-Forwarded-Proto X-Request-Id X-Request-ID X-Request-Start
`
  // Split without a regex (see ../chars.ts for why).
  .replaceAll("\n", " ")
  .split(" ")
  .filter((name) => name !== "");

/** By length: [spelling, lowercase name] pairs, the spelling as listed and all lowercase. */
const BY_LENGTH: [string, string][][] = [];
for (const name of COMMON) {
  const lower = name.toLowerCase();
  const list = (BY_LENGTH[name.length] ??= []);
  list.push([name, lower]);
  if (lower !== name) list.push([lower, lower]);
}

/** The lowercase name for `text[from, to)` when it is one of the common spellings (all are tokens); else undefined. */
export function knownHeaderName(text: string, from: number, to: number): string | undefined {
  const list = BY_LENGTH[to - from];
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) {
    const pair = list[i]!;
    if (text.startsWith(pair[0], from)) return pair[1];
  }
  return undefined;
}
