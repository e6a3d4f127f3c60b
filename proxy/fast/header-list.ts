/** Header lookups over the parsed name/value lists the fast lane's parsers give. */

/** Header lookup over parsed name/value lists (names lowercased); repeated headers are joined, as Headers does. */
export class HeaderList {
  constructor(
    readonly names: string[],
    readonly values: string[],
  ) {}
  get(name: string): string | null {
    // Names are kept lowercased; a caller's may not be (a service's --log-request-header).
    name = name.toLowerCase();
    const names = this.names;
    let found: string | null = null;
    for (let i = 0; i < names.length; i++) if (names[i] === name) found = found === null ? this.values[i]! : `${found}, ${this.values[i]}`;
    return found;
  }
}

/**
 * The header names a Connection header lists, lowercased, less Host (end-to-end whatever Connection
 * says); undefined when there is nothing to drop beyond the hop-by-hop headers. Most messages say just
 * "keep-alive", which needs no list (a Set per message showed in profiles).
 */
export function connectionDrops(value: string | null): string[] | undefined {
  if (!value) return undefined;
  const lower = value.toLowerCase();
  if (lower === "keep-alive") return undefined;
  return lower
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "host");
}
