/**
 * A small OTLP/HTTP (JSON) log shipper, shaped like Kamal's OtelShipper so a collector pipeline
 * built for Kamal's deploy logs keeps working: records are buffered and POSTed to
 * `ENDPOINT/v1/logs` in batches of 100 (or every 5 s), with Kamal's resource attributes.
 * Shipping is best effort: a failure is reported once through `onError` and never thrown.
 */
import { randomUUID } from "node:crypto";
import { SEXTANT_VERSION } from "../version.ts";

export type Severity = "debug" | "info" | "warn" | "error" | "fatal";

const SEVERITIES: Record<Severity, { severityNumber: number; severityText: string }> = {
  debug: { severityNumber: 5, severityText: "DEBUG" },
  info: { severityNumber: 9, severityText: "INFO" },
  warn: { severityNumber: 13, severityText: "WARN" },
  error: { severityNumber: 17, severityText: "ERROR" },
  fatal: { severityNumber: 21, severityText: "FATAL" },
};

/** Kamal's deploy tags → OpenTelemetry attribute names. */
const TAG_KEYS: Record<string, string> = {
  service: "service.namespace",
  version: "kamal.deploy_version",
  performer: "kamal.performer",
  destination: "deployment.environment.name",
};

const BATCH_SIZE = 100;
const FLUSH_INTERVAL_MS = 5000;
/** How long one POST may take before it is given up (Kamal: 2 s to connect, 5 s to read). */
const REQUEST_TIMEOUT_MS = 5000;

type AnyValue = { stringValue: string } | { intValue: number } | { doubleValue: number };

interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: { stringValue: string };
  eventName?: string;
  attributes?: { key: string; value: AnyValue }[];
}

function typed(value: string | number): AnyValue {
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  return { stringValue: value };
}

function nowNanos(): string {
  return `${BigInt(Date.now()) * 1_000_000n}`;
}

export interface ShipperOptions {
  tags: Record<string, string | undefined>;
  onError: (message: string) => void;
  fetch?: typeof fetch;
}

export class OtlpShipper {
  readonly runId = randomUUID();
  private readonly url: string;
  private readonly resource: { key: string; value: AnyValue }[];
  private buffer: LogRecord[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private sending: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    endpoint: string,
    private readonly options: ShipperOptions,
  ) {
    this.url = `${endpoint.replace(/\/+$/, "")}/v1/logs`;
    // service.name stays "kamal": collectors and dashboards built for Kamal's deploy logs filter on it.
    this.resource = [
      { key: "service.name", value: { stringValue: "kamal" } },
      { key: "service.version", value: { stringValue: SEXTANT_VERSION } },
      { key: "kamal.run_id", value: { stringValue: this.runId } },
      { key: "kamal.tool", value: { stringValue: "sextant" } },
      ...Object.entries(options.tags)
        .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== "")
        .map(([k, v]) => ({ key: TAG_KEYS[k] ?? `kamal.${k}`, value: { stringValue: v } })),
    ];
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** One record per line of `text`. */
  lines(text: string, severity: Severity, context: { host?: string; iostream?: string } = {}): void {
    const attributes = [...(context.host ? [{ key: "server.address", value: typed(context.host) }] : []), ...(context.iostream ? [{ key: "log.iostream", value: typed(context.iostream) }] : [])];
    for (const line of text.replace(/\n$/, "").split("\n")) {
      this.enqueue(this.record(line, severity, undefined, attributes.length > 0 ? attributes : undefined));
    }
  }

  /** A named event (kamal.start, kamal.complete, kamal.failed) with typed attributes. */
  event(name: string, severity: Severity, attributes: Record<string, string | number>): void {
    this.enqueue(
      this.record(
        name,
        severity,
        name,
        Object.entries(attributes).map(([key, v]) => ({ key, value: typed(v) })),
      ),
    );
  }

  private record(body: string, severity: Severity, eventName?: string, attributes?: LogRecord["attributes"]): LogRecord {
    const now = nowNanos();
    return {
      timeUnixNano: now,
      observedTimeUnixNano: now,
      ...SEVERITIES[severity],
      body: { stringValue: body },
      ...(eventName ? { eventName } : {}),
      ...(attributes ? { attributes } : {}),
    };
  }

  private enqueue(record: LogRecord): void {
    this.buffer.push(record);
    if (this.buffer.length >= BATCH_SIZE) this.flush();
  }

  /** Send what is buffered (batches go out one after another, in order). */
  flush(): Promise<void> {
    const records = this.buffer.splice(0);
    if (records.length === 0) return this.sending;
    this.sending = this.sending.then(async () => {
      for (let i = 0; i < records.length; i += BATCH_SIZE) await this.post(records.slice(i, i + BATCH_SIZE));
    });
    return this.sending;
  }

  private async post(records: LogRecord[]): Promise<void> {
    if (this.failed) return;
    const payload = {
      resourceLogs: [{ resource: { attributes: this.resource }, scopeLogs: [{ scope: { name: "kamal", version: SEXTANT_VERSION }, logRecords: records }] }],
    };
    try {
      const response = await (this.options.fetch ?? fetch)(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) this.fail(`HTTP ${response.status} ${response.statusText}`.trim());
    } catch (error) {
      this.fail(error instanceof Error ? (error.name === "TimeoutError" ? "timed out" : error.message) : String(error));
    }
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError(`${message} (${this.url})`);
  }

  /** Stop the timer and send the rest; true when everything was delivered. */
  async shutdown(): Promise<boolean> {
    clearInterval(this.timer);
    await this.flush();
    return !this.failed;
  }
}
