/**
 * What orchestration tells the user about, as data. Orchestration emits events; a reporter renders
 * them (human text, or JSON lines for scripts). Library code never prints directly.
 */
export type OutputEvent =
  /** A step of a command begins, e.g. "Build and push app image". */
  | { type: "step"; title: string }
  /** A step ended (ok or not), with how long it took. */
  | { type: "step-done"; title: string; ms: number; ok: boolean }
  /** Something finished on one host (or "local"). */
  | { type: "host-done"; host: string; what: string; ms: number }
  | { type: "host-failed"; host: string; what: string; error: string }
  /** A command about to run (shown with -v); secrets already redacted. */
  | { type: "command"; host: string; command: string }
  /** A remote command finished (for --json and benchmarks; not shown to people). */
  | { type: "command-done"; host: string; command: string; ms: number; code: number | null }
  /** A command's output (shown with -v). */
  | { type: "output"; host: string; stream: "stdout" | "stderr"; text: string }
  /**
   * Image bytes one host received (builder.delivery: ssh): layers sent of the image's total. Without
   * `from` they came from this machine over SSH; with it, from that server (a peer hand-over).
   */
  | { type: "transfer"; host: string; image: string; bytes: number; layers: number; totalLayers: number; layerBytes: number; ms: number; from?: string }
  /** Bytes of an image transfer so far (builder.delivery: ssh), about twice a second per host. */
  | { type: "progress"; host: string; bytes: number; total: number }
  | { type: "info"; message: string }
  | { type: "warn"; message: string }
  /** The command's result, last. */
  | { type: "summary"; message: string; ms: number; ok: boolean };

export interface Reporter {
  emit(event: OutputEvent): void;
}

/** Collects events: for tests, and for --json summaries. */
export class RecordingReporter implements Reporter {
  readonly events: OutputEvent[] = [];
  emit(event: OutputEvent): void {
    this.events.push(event);
  }
}
