import { expect, test } from "bun:test";
import type { OutputEvent } from "../../../src/output/events.ts";
import { createReporter, HumanReporter } from "../../../src/output/reporter.ts";

function render(options: { verbose?: boolean; quiet?: boolean; json?: boolean }, events: OutputEvent[]) {
  let out = "";
  let err = "";
  const reporter = createReporter(options, { out: (t) => void (out += t), err: (t) => void (err += t) });
  for (const e of events) reporter.emit(e);
  return { out: out.replace(/\x1b\[[0-9;]*m/g, ""), err: err.replace(/\x1b\[[0-9;]*m/g, "") };
}

const events: OutputEvent[] = [
  { type: "step", title: "Boot app" },
  { type: "command", host: "10.0.0.1", command: "docker run app" },
  { type: "output", host: "10.0.0.1", stream: "stdout", text: "abc\n" },
  { type: "host-done", host: "10.0.0.1", what: "booted web", ms: 1234 },
  { type: "host-failed", host: "10.0.0.2", what: "boot web", error: "health check failed" },
  { type: "summary", message: "Deployed", ms: 2500, ok: true },
];

test("default output: steps, per-host results with timings, summary; no commands", () => {
  const { out, err } = render({}, events);
  expect(out).toContain("▸ Boot app");
  expect(out).toContain("✓ 10.0.0.1        booted web (1.2s)");
  expect(out).toContain("✓ Deployed in 2.5s");
  expect(out).not.toContain("docker run app");
  expect(err).toContain("✗ 10.0.0.2        boot web: health check failed");
});

test("-v adds every command and its output", () => {
  const { out } = render({ verbose: true }, events);
  expect(out).toContain("10.0.0.1 $ docker run app");
  expect(out).toContain("10.0.0.1 │ abc");
});

test("-q shows errors only", () => {
  const { out, err } = render({ quiet: true }, events);
  expect(out).toBe("");
  expect(err).toContain("health check failed");
});

test("--json writes one event per line", () => {
  const { out } = render({ json: true }, events);
  const lines = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines).toEqual(events);
});

test("image transfers: bytes, layers and time per host, and which server a peer got them from", () => {
  const transfers: OutputEvent[] = [
    { type: "transfer", host: "10.0.0.1", image: "app:v2", bytes: 712704, layers: 1, totalLayers: 2, layerBytes: 699112, ms: 870 },
    { type: "transfer", host: "10.0.0.2", image: "app:v2", bytes: 105 * 1024 * 1024, layers: 3, totalLayers: 3, layerBytes: 0, ms: 2100, from: "10.0.0.1" },
  ];
  const { out } = render({}, transfers);
  expect(out).toContain("↑ 10.0.0.1        sent 696.0 KiB, 1 of 2 layers (870ms)");
  expect(out).toContain("↑ 10.0.0.2        got 105.0 MiB from 10.0.0.1, 3 of 3 layers (2.1s)");
  expect(render({ quiet: true }, transfers).out).toBe("");
  expect(
    render({ json: true }, transfers)
      .out.trim()
      .split("\n")
      .map((l) => JSON.parse(l)),
  ).toEqual(transfers);
});

test("on a terminal, transfer progress is one rewritten line that other output clears; elsewhere it is not shown", () => {
  let out = "";
  const tty = new HumanReporter("normal", { out: (t) => void (out += t), err: () => {} }, true);
  tty.emit({ type: "progress", host: "10.0.0.1", bytes: 5 * 1024 * 1024, total: 10 * 1024 * 1024 });
  tty.emit({ type: "progress", host: "10.0.0.2", bytes: 1024 * 1024, total: 10 * 1024 * 1024 });
  expect(out).toBe("\r\x1b[K  ↑ 10.0.0.1 █████░░░░░ 50% 5.0/10.0 MiB" + "\r\x1b[K  ↑ 10.0.0.1 █████░░░░░ 50% 5.0/10.0 MiB   10.0.0.2 █░░░░░░░░░ 10% 1.0/10.0 MiB");
  out = "";
  tty.emit({ type: "transfer", host: "10.0.0.1", image: "app:v2", bytes: 10 * 1024 * 1024, layers: 1, totalLayers: 2, layerBytes: 0, ms: 1500 });
  expect(out.replace(/\x1b\[[0-9;]*m/g, "")).toBe("\r\x1b[K  ↑ 10.0.0.1        sent 10.0 MiB, 1 of 2 layers (1.5s)\n");
  out = "";
  // The finished host has left the line.
  tty.emit({ type: "progress", host: "10.0.0.2", bytes: 2 * 1024 * 1024, total: 10 * 1024 * 1024 });
  expect(out).toBe("\r\x1b[K  ↑ 10.0.0.2 ██░░░░░░░░ 20% 2.0/10.0 MiB");

  const piped = render({}, [{ type: "progress", host: "10.0.0.1", bytes: 1, total: 2 }]);
  expect(piped.out).toBe("");
});
