/**
 * A proxy-made page (404 for no service, 502, 504) as the front end sends it: the same page, status and
 * content type the chain's renderErrorPage gives, plus the Date header Bun.serve adds there, with its
 * length in bytes (the built-in pages have non-ASCII text). HEAD gets the head alone.
 */
import { ERROR_PAGE_TYPE, errorPageHtml, type PageSet, statusText } from "../error-pages.ts";

export interface PageAnswer {
  /** Status line and headers, each ending in CRLF; the caller adds `connection: close` if needed and the blank line. */
  head: string;
  /** The page's bytes, empty for HEAD. */
  body: Uint8Array;
}

/** What a request log reads of a page answer's headers. */
export const PAGE_HEADERS = { get: (name: string) => (name === "content-type" ? ERROR_PAGE_TYPE : null) };

const NO_BODY = new Uint8Array(0);
/** The built-in pages' bytes, made on first use. */
const builtins = new Map<number, Buffer>();

export function pageAnswer(status: number, method: string, custom?: PageSet, altSvc?: () => string): PageAnswer {
  let page = custom?.has(status) ? undefined : builtins.get(status);
  if (!page) {
    page = Buffer.from(errorPageHtml(status, "", custom), "utf8");
    if (!custom?.has(status)) builtins.set(status, page);
  }
  let head = `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: ${ERROR_PAGE_TYPE}\r\ndate: ${new Date().toUTCString()}\r\ncontent-length: ${page.length}\r\n`;
  if (altSvc) head += `alt-svc: ${altSvc()}\r\n`;
  return { head, body: method === "HEAD" ? NO_BODY : page };
}
