/**
 * Tools for the fast-lane tests, which look at the proxy only from outside: a raw TCP client that
 * parses what it receives as a stream of HTTP/1.1 responses (so a kept-alive connection's framing is
 * checked byte for byte), and a raw TCP upstream that answers with exactly the bytes a test gives it
 * (framings, interim heads, closes and resets that Bun.serve would never produce) and records what it
 * received. Bytes are carried as latin1 strings: one character per byte, so comparisons are byte-exact.
 */
import net from "node:net";
import { rawConnect } from "../hardening/raw-client.ts";
import { onCleanup } from "../helpers.ts";

// ---------------------------------------------------------------------------------------------------
// Parsing responses

export interface ParsedResponse {
  status: number;
  reason: string;
  /** Header lines as received, in order (names lower-cased). */
  headers: [string, string][];
  /** The body after de-chunking, latin1. */
  body: string;
  /** How the body was delimited. */
  framing: "none" | "length" | "chunked" | "close";
  trailers: [string, string][];
  /** Statuses of the 1xx heads (other than 101) that came before this response. */
  interim: number[];
}

export function header(r: ParsedResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k === n)?.[1];
}

export function headerAll(r: ParsedResponse, name: string): string[] {
  const n = name.toLowerCase();
  return r.headers.filter(([k]) => k === n).map(([, v]) => v);
}

export interface Parsed {
  responses: ParsedResponse[];
  /** Bytes after the last complete response (the start of an unfinished one, or WebSocket frames after a 101). */
  rest: string;
  /** A framing error in what was received (the stream can no longer be read as responses). */
  error?: string;
}

function parseHeaderLines(block: string): [string, string][] | string {
  const out: [string, string][] = [];
  for (const line of block.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed header line ${JSON.stringify(line)}`;
    out.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/**
 * Splits `text` into the responses to `methods` (one per request sent, in order). A body with neither
 * Content-Length nor chunked framing runs to the end of the connection: it is complete only once
 * `closed`. Interim 1xx heads are skipped (and listed on the response they precede); a 101 ends parsing.
 */
export function parseResponses(text: string, methods: string[], closed: boolean): Parsed {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  let interim: number[] = [];
  while (responses.length < methods.length) {
    const end = text.indexOf("\r\n\r\n", pos);
    if (end < 0) break;
    const head = text.slice(pos, end);
    const nl = head.indexOf("\r\n");
    const statusLine = nl < 0 ? head : head.slice(0, nl);
    const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) return { responses, rest: text.slice(pos), error: `malformed status line ${JSON.stringify(statusLine)}` };
    const headers = parseHeaderLines(nl < 0 ? "" : head.slice(nl + 2));
    if (typeof headers === "string") return { responses, rest: text.slice(pos), error: headers };
    const status = Number(m[1]);
    const bodyStart = end + 4;
    const r: ParsedResponse = { status, reason: m[2] ?? "", headers, body: "", framing: "none", trailers: [], interim };
    if (status >= 100 && status < 200 && status !== 101) {
      interim = [...interim, status];
      pos = bodyStart;
      continue;
    }
    interim = [];
    const method = methods[responses.length]!;
    const te = header(r, "transfer-encoding");
    const cl = header(r, "content-length");
    if (status === 101) {
      responses.push(r);
      pos = bodyStart;
      break;
    }
    if (method === "HEAD" || status === 204 || status === 304) {
      responses.push(r);
      pos = bodyStart;
      continue;
    }
    if (te !== undefined) {
      if (te.toLowerCase() !== "chunked") return { responses, rest: text.slice(pos), error: `unexpected transfer-encoding ${te}` };
      let p = bodyStart;
      let body = "";
      let done = false;
      for (;;) {
        const lineEnd = text.indexOf("\r\n", p);
        if (lineEnd < 0) break;
        const sizeText = text.slice(p, lineEnd).split(";")[0]!.trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { responses, rest: text.slice(pos), error: `malformed chunk size ${JSON.stringify(text.slice(p, lineEnd))}` };
        const size = Number.parseInt(sizeText, 16);
        if (size === 0) {
          const trailerEnd = text.indexOf("\r\n", lineEnd + 2) === lineEnd + 2 ? lineEnd + 2 : text.indexOf("\r\n\r\n", lineEnd + 2);
          if (trailerEnd < 0) break;
          const trailers = text.indexOf("\r\n", lineEnd + 2) === lineEnd + 2 ? [] : parseHeaderLines(text.slice(lineEnd + 2, trailerEnd));
          if (typeof trailers === "string") return { responses, rest: text.slice(pos), error: trailers };
          r.trailers = trailers;
          p = trailerEnd + (trailers.length ? 4 : 2);
          done = true;
          break;
        }
        if (text.length < lineEnd + 2 + size + 2) break;
        if (text.slice(lineEnd + 2 + size, lineEnd + 4 + size) !== "\r\n") return { responses, rest: text.slice(pos), error: "chunk not followed by CRLF" };
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        p = lineEnd + 4 + size;
      }
      if (!done) break;
      r.body = body;
      r.framing = "chunked";
      responses.push(r);
      pos = p;
      continue;
    }
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) return { responses, rest: text.slice(pos), error: `malformed content-length ${cl}` };
      const n = Number(cl);
      if (text.length < bodyStart + n) break;
      r.body = text.slice(bodyStart, bodyStart + n);
      r.framing = "length";
      responses.push(r);
      pos = bodyStart + n;
      continue;
    }
    if (!closed) break;
    r.body = text.slice(bodyStart);
    r.framing = "close";
    responses.push(r);
    pos = text.length;
  }
  return { responses, rest: text.slice(pos) };
}

// ---------------------------------------------------------------------------------------------------
// A raw client

export interface Client {
  write(bytes: string | Uint8Array): void;
  /** Everything received so far, latin1. */
  readonly received: string;
  readonly closed: boolean;
  /** Methods of the requests sent with `request`/`pipeline`, in order. */
  readonly methods: string[];
  /** Resolves true once `cond` holds, false after `ms`. */
  until(cond: () => boolean, ms: number): Promise<boolean>;
  waitClosed(ms: number): Promise<boolean>;
  /** The responses received so far to the requests sent. */
  parsed(): Parsed;
  /** Sends one request (bytes as given) and waits for its whole response. */
  request(method: string, bytes: string | Uint8Array, ms?: number): Promise<ParsedResponse>;
  /** Sends several requests in one write and waits for all their responses. */
  pipeline(methods: string[], bytes: string, ms?: number): Promise<ParsedResponse[]>;
  pause(): void;
  resume(): void;
  destroy(): void;
}

/** A raw client (hardening/raw-client.ts) that also reads what it receives as HTTP/1.1 responses. */
export async function connect(port: number): Promise<Client> {
  const raw = await rawConnect(port);
  onCleanup(() => raw.destroy());
  const methods: string[] = [];
  const parsed = () => parseResponses(raw.received, methods, raw.closed);
  const awaitResponses = async (n: number, ms: number) => {
    await raw.until(() => {
      const p = parsed();
      return p.responses.length >= n || p.error !== undefined || raw.closed;
    }, ms);
    const p = parsed();
    const seen = JSON.stringify(raw.received.slice(0, 2000));
    if (p.error) throw new Error(`unparsable response stream: ${p.error}; received ${seen}`);
    if (p.responses.length < n) throw new Error(`got ${p.responses.length} of ${n} responses (closed=${raw.closed}); received ${seen}`);
    return p.responses;
  };
  const c: Client = {
    // Strings are bytes here (latin1), so a test can send any byte as one character.
    write: (b) => raw.write(typeof b === "string" ? Buffer.from(b, "latin1") : b),
    get received() {
      return raw.received;
    },
    get closed() {
      return raw.closed;
    },
    methods,
    until: raw.until,
    waitClosed: raw.waitClosed,
    parsed,
    async request(method, bytes, ms = 5000) {
      methods.push(method);
      c.write(bytes);
      return (await awaitResponses(methods.length, ms))[methods.length - 1]!;
    },
    async pipeline(ms_, bytes, ms = 5000) {
      methods.push(...ms_);
      c.write(bytes);
      return (await awaitResponses(methods.length, ms)).slice(methods.length - ms_.length);
    },
    pause: raw.pauseReading,
    resume: raw.resumeReading,
    destroy: raw.destroy,
  };
  return c;
}

/** A GET's bytes. */
export const get = (path: string, host = "x", extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

// ---------------------------------------------------------------------------------------------------
// A raw upstream

export interface RawRequest {
  method: string;
  /** The request target as sent. */
  target: string;
  path: string;
  headers: [string, string][];
  body: string;
  /** Which upstream connection carried it (1, 2, ...). */
  conn: number;
}

export function reqHeader(r: RawRequest, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k === n)?.[1];
}

export interface RawConnHandle {
  readonly id: number;
  write(bytes: string | Uint8Array): void;
  /**
   * Half-close after what was written (a FIN). Requests that arrive after it are not read (an app that
   * closed its side handles nothing more), so they never count as received.
   */
  end(): void;
  /** Close after what was written (a FIN; a request arriving later is answered by the kernel with a reset). */
  close(): void;
  /** Close at once, with a TCP reset where the runtime can send one. */
  reset(): void;
  readonly closed: boolean;
  /** Resolves when the proxy closes this connection. */
  readonly closedPromise: Promise<void>;
}

/**
 * Answers one request; health checks (`/up`) are answered before it is called. Returning (or resolving)
 * a string writes it; `undefined` means the handler wrote (or deliberately did not write) itself.
 */
export type RawHandler = (req: RawRequest, conn: RawConnHandle) => string | undefined | Promise<string | undefined>;

export interface RawUpstream {
  addr: string;
  port: number;
  /** Requests other than health checks, in arrival order. */
  received: RawRequest[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stop listening and cut every open connection. */
  stop(): Promise<void>;
}

const OK_UP = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

export async function rawUpstream(handler: RawHandler): Promise<RawUpstream> {
  const received: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const id = ++connections;
    sockets.add(socket);
    let buf = "";
    let busy = false;
    let closed = false;
    let ending = false;
    let onClosed!: () => void;
    const closedPromise = new Promise<void>((r) => (onClosed = r));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      sockets.delete(socket);
      onClosed();
    });
    const handle: RawConnHandle = {
      id,
      write: (b) => void (closed || socket.write(typeof b === "string" ? Buffer.from(b, "latin1") : b)),
      end: () => {
        ending = true;
        socket.end();
      },
      close: () => {
        ending = true;
        socket.destroy();
      },
      reset: () => {
        ending = true;
        const s = socket as net.Socket & { resetAndDestroy?: () => void };
        if (s.resetAndDestroy) s.resetAndDestroy();
        else s.destroy();
      },
      get closed() {
        return closed;
      },
      closedPromise,
    };
    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const r = takeRequest(buf, id);
          if (!r) break;
          buf = buf.slice(r.consumed);
          const req = r.req;
          if (req.path === "/up") {
            handle.write(OK_UP);
            continue;
          }
          received.push(req);
          const out = await handler(req, handle);
          if (out !== undefined) handle.write(out);
          if (closed || ending) break;
        }
      } finally {
        busy = false;
      }
    };
    socket.on("data", (d) => {
      if (ending) return;
      buf += d.toString("latin1");
      void pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onCleanup(stop);
  return {
    addr: `127.0.0.1:${port}`,
    port,
    received,
    get connections() {
      return connections;
    },
    stop,
  };
}

/** One whole request from the front of `buf` (Content-Length or chunked body), or undefined. */
function takeRequest(buf: string, conn: number): { req: RawRequest; consumed: number } | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const lines = buf.slice(0, end).split("\r\n");
  const [method = "", target = ""] = lines[0]!.split(" ");
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const get = (n: string) => headers.find(([k]) => k === n)?.[1];
  let p = end + 4;
  let body = "";
  if ((get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) {
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", p);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(buf.slice(p, lineEnd).split(";")[0]!, 16);
      if (size === 0) {
        const t = buf.indexOf("\r\n\r\n", lineEnd);
        if (buf.slice(lineEnd + 2, lineEnd + 4) === "\r\n") p = lineEnd + 4;
        else if (t < 0) return undefined;
        else p = t + 4;
        break;
      }
      if (buf.length < lineEnd + 4 + size) return undefined;
      body += buf.slice(lineEnd + 2, lineEnd + 2 + size);
      p = lineEnd + 4 + size;
    }
  } else {
    const n = Number(get("content-length") ?? 0);
    if (buf.length < p + n) return undefined;
    body = buf.slice(p, p + n);
    p += n;
  }
  const path = target.startsWith("/") ? target.split("?")[0]! : target;
  return { req: { method, target, path, headers, body, conn }, consumed: p };
}

/** A response with a Content-Length body. */
export function lengthResponse(body: string, status = "200 OK", extra = ""): string {
  return `HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}

/** Every byte value, then a marker: a body that shows any re-encoding or loss. */
export function binaryBody(n: number, seed = 0): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode((i * 7 + seed) & 0xff);
  return s;
}
