/**
 * Prometheus metrics with kamal-proxy's names: a request counter and duration histogram (recorded in
 * the logging layer, so 404s count under service="") and an in-flight gauge per service.
 * A no-op instance is used when the metrics port is 0.
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]);

export interface Metrics {
  /** False for the no-op instance: callers skip the per-request work that only feeds metrics. */
  readonly enabled: boolean;
  request(service: string, method: string, status: number, seconds: number): void;
  inflight(service: string, delta: number): void;
  render(): string;
}

export const noopMetrics: Metrics = { enabled: false, request() {}, inflight() {}, render: () => "" };

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class PrometheusMetrics implements Metrics {
  readonly enabled = true;
  private counts = new Map<string, number>();
  private histos = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private gauges = new Map<string, number>();

  request(service: string, method: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : "OTHER";
    const key = `service="${esc(service)}",method="${m}",status="${status}"`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let h = this.histos.get(key);
    if (!h) this.histos.set(key, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  inflight(service: string, delta: number): void {
    const key = `service="${esc(service)}"`;
    this.gauges.set(key, (this.gauges.get(key) ?? 0) + delta);
  }

  render(): string {
    const out: string[] = [];
    out.push("# HELP kamal_proxy_http_requests_total Total number of HTTP requests", "# TYPE kamal_proxy_http_requests_total counter");
    for (const [k, v] of this.counts) out.push(`kamal_proxy_http_requests_total{${k}} ${v}`);
    out.push("# HELP kamal_proxy_http_request_duration_seconds Duration of HTTP requests", "# TYPE kamal_proxy_http_request_duration_seconds histogram");
    for (const [k, h] of this.histos) {
      BUCKETS.forEach((b, i) => {
        out.push(`kamal_proxy_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.buckets[i]}`);
      });
      out.push(`kamal_proxy_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`kamal_proxy_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`kamal_proxy_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push("# HELP kamal_proxy_http_in_flight_requests Number of in-flight HTTP requests", "# TYPE kamal_proxy_http_in_flight_requests gauge");
    for (const [k, v] of this.gauges) out.push(`kamal_proxy_http_in_flight_requests{${k}} ${v}`);
    const mem = process.memoryUsage();
    out.push("# HELP process_resident_memory_bytes Resident memory size in bytes.", "# TYPE process_resident_memory_bytes gauge", `process_resident_memory_bytes ${mem.rss}`);
    return out.join("\n") + "\n";
  }
}
