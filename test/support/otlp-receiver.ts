#!/usr/bin/env bun
/**
 * A minimal OTLP/HTTP log receiver for tests, run as its own process: it accepts
 * `POST /v1/logs` (JSON), appends each request body as one line to the file given as the first
 * argument, answers 200 with `{}`, and prints `listening PORT` once ready. It binds to 127.0.0.1,
 * or to the address given as the second argument (a test bed's bridge address).
 */
import { appendFileSync } from "node:fs";

const [out, hostname = "127.0.0.1"] = process.argv.slice(2);
if (!out) {
  console.error("usage: otlp-receiver.ts OUTPUT_FILE [ADDRESS]");
  process.exit(2);
}
const server = Bun.serve({
  hostname,
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/v1/logs") return new Response("not found", { status: 404 });
    if (!(request.headers.get("content-type") ?? "").includes("application/json")) return new Response("json only", { status: 415 });
    const body = await request.text();
    JSON.parse(body); // a malformed payload is a 500, which the test sees as a failed shipment
    appendFileSync(out, `${body}\n`);
    return Response.json({});
  },
});
console.log(`listening ${server.port}`);
