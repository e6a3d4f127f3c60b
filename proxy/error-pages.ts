/**
 * Rendering of proxy-generated errors: a service's custom page directory first (`<status>.html`), then
 * the built-ins, then a generic `<h1><code> <text></h1>`. Upstream error responses never come here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_PAGES } from "./pages.ts";
import { STATUS_TEXT } from "./status-text.ts";
import { compileTemplate, type Template } from "./template.ts";

export type PageSet = Map<number, Template>;

/** The built-in pages, each compiled on its first use. */
const builtins: PageSet = new Map();
function builtinPage(status: number): Template | undefined {
  let tpl = builtins.get(status);
  if (tpl === undefined) {
    const source = BUILTIN_PAGES[status];
    if (source === undefined) return undefined;
    builtins.set(status, (tpl = compileTemplate(source)));
  }
  return tpl;
}

/** Load `<dir>/*.html`; any failure (missing dir, no pages, bad template) is "unable to load error pages". */
export function loadErrorPages(dir: string): PageSet {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith(".html"));
    if (files.length === 0) throw new Error("no pages");
    const pages: PageSet = new Map();
    for (const f of files) {
      const tpl = compileTemplate(readFileSync(join(dir, f), "utf8"));
      const status = Number(f.slice(0, -5));
      if (Number.isInteger(status)) pages.set(status, tpl);
    }
    return pages;
  } catch {
    throw new Error("unable to load error pages");
  }
}

// Where Go's http.StatusText differs from Node's table (which STATUS_TEXT copies).
const GO_STATUS_TEXT: Record<number, string> = { 418: "I'm a teapot", 499: "Client Closed Request" };

export function statusText(status: number): string {
  return GO_STATUS_TEXT[status] ?? STATUS_TEXT[status] ?? "";
}

export const ERROR_PAGE_TYPE = "text/html; charset=utf-8";

/** The HTML of a proxy-made answer: the service's page for the status, else the built-in, else a heading. */
export function errorPageHtml(status: number, message = "", custom?: PageSet): string {
  const tpl = custom?.get(status) ?? builtinPage(status);
  return tpl ? tpl({ Message: message, Status: status, StatusCode: status }) : `<h1>${status} ${statusText(status)}</h1>`;
}

export function renderErrorPage(status: number, message = "", custom?: PageSet, extraHeaders?: HeadersInit): Response {
  const headers = new Headers(extraHeaders);
  headers.set("content-type", ERROR_PAGE_TYPE);
  return new Response(errorPageHtml(status, message, custom), { status, headers });
}
