/** The built-in error pages: self-contained HTML templates, like kamal-proxy's internal/pages. */

const STYLE = `body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:system-ui,-apple-system,sans-serif;background:#f6f7f9;color:#1d2330}main{max-width:32rem;padding:2rem;text-align:center}h1{font-size:1.5rem;margin:1rem 0 .5rem}p{color:#555;line-height:1.5}svg{width:3rem;height:3rem;color:#8a94a6}`;
const ICON = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.5" aria-hidden="true"><circle cx="12" cy="12" r="10"/><path d="M12 7v6M12 16.5v.5"/></svg>`;

function page(status: number, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} — ${title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${ICON}
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

export const BUILTIN_PAGES: Record<number, string> = {
  404: page(404, "Not Found", "<p>The page you were looking for doesn't exist.</p>"),
  413: page(413, "Content Too Large", "<p>The request is larger than the server is willing to process.</p>"),
  502: page(502, "Bad Gateway", "<p>The server received an invalid response from the application.</p>"),
  503: page(503, "Service Temporarily Unavailable", "{{ if .Message }}<p>{{ .Message }}</p>{{ else }}<p>The service is temporarily unavailable. Please try again later.</p>{{ end }}"),
  504: page(504, "Gateway Timeout", "<p>The application took too long to respond.</p>"),
};
