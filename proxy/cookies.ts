/** Cookie helpers: reading request cookies, and scoping upstream Set-Cookie paths under a mounted prefix. */

export function getCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name)
      return part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

/**
 * Rewrite one Set-Cookie so its Path sits under `prefix`, when its Domain is empty or exactly the request
 * host (a leading-dot domain is not equal, so it is left alone, like kamal-proxy's exact comparison).
 */
export function scopeSetCookie(cookie: string, prefix: string, host: string): string {
  const parts = cookie.split(";").map((p) => p.trim());
  const [pair, ...attrs] = parts;
  let domain = "";
  let path = "";
  const kept: string[] = [];
  for (const a of attrs) {
    if (a === "") continue;
    const eq = a.indexOf("=");
    const key = (eq < 0 ? a : a.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? "" : a.slice(eq + 1);
    if (key === "domain") domain = value;
    if (key === "path") path = value;
    else kept.push(a);
  }
  if (domain !== "" && domain !== host) return cookie;
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  const scoped = trimmed ? `${prefix.replace(/\/+$/, "")}/${trimmed}` : prefix;
  return [pair, `Path=${scoped}`, ...kept].join("; ");
}
