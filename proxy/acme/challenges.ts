/**
 * HTTP-01 answers: while an order is being validated, the CA fetches
 * `/.well-known/acme-challenge/<token>` over plain HTTP and must get the key authorization back. The
 * tokens of orders in flight are held here; the ACME request stage asks for an answer before the
 * service could redirect the CA's request to HTTPS.
 */
const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

export class Http01Answers {
  private readonly tokens = new Map<string, string>();

  set(token: string, keyAuthorization: string): void {
    this.tokens.set(token, keyAuthorization);
  }

  delete(token: string): void {
    this.tokens.delete(token);
  }

  /** Whether the path is a challenge path at all (answered or not, it never starts an on-demand order). */
  static isChallengePath(path: string): boolean {
    return path.startsWith(CHALLENGE_PREFIX);
  }

  /** The key authorization for a challenge path, if an order in flight holds its token. */
  answer(path: string): string | undefined {
    return this.tokens.get(path.slice(CHALLENGE_PREFIX.length));
  }
}
