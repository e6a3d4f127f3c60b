/** An upstream that records each request it received with its whole body, or the error reading it. */
import { type Upstream, upstream } from "../helpers.ts";

export interface Received {
  method: string;
  path: string;
  host: string | null;
  body: string;
  /** Set when the body did not arrive whole (the proxy gave up on it). */
  bodyError?: string;
}

export function recordingUpstream(answer: (r: Received) => Response | Promise<Response> = () => new Response("ok")): Upstream & { received: Received[] } {
  const received: Received[] = [];
  const up = upstream("recorder", async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/up") return new Response("ok");
    const r: Received = { method: req.method, path: url.pathname, host: req.headers.get("host"), body: "" };
    received.push(r);
    try {
      r.body = await req.text();
    } catch (e) {
      r.bodyError = (e as Error).message;
    }
    return answer(r);
  });
  return Object.assign(up, { received });
}
