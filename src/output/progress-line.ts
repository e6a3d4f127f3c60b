/**
 * One self-rewriting terminal line for transfers running on several hosts at once
 * (`↑ 10.0.0.1 ████░░░░ 52% 10.0/19.2 MiB   10.0.0.2 …`). Only for a terminal: anything else
 * printed clears it first, and the next progress update draws it again.
 */
import { formatBytesOutOf } from "./bytes.ts";

const CLEAR = "\r\x1b[K";

function bar(fraction: number, width = 10): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return "█".repeat(full) + "░".repeat(width - full);
}

export class ProgressLine {
  private readonly hosts = new Map<string, { bytes: number; total: number }>();
  private showing = false;

  /** Text that draws the line with this host's progress (a finished host drops out of it). */
  update(host: string, bytes: number, total: number): string {
    if (bytes >= total) this.hosts.delete(host);
    else this.hosts.set(host, { bytes, total });
    if (this.hosts.size === 0) return this.clear();
    const parts = [...this.hosts].map(([h, p]) => {
      const fraction = p.total > 0 ? p.bytes / p.total : 1;
      return `${h} ${bar(fraction)} ${Math.floor(fraction * 100)}% ${formatBytesOutOf(p.bytes, p.total)}`;
    });
    this.showing = true;
    return `${CLEAR}  ↑ ${parts.join("   ")}`;
  }

  /** A host finished (or failed): it leaves the line at the next update. */
  done(host: string): void {
    this.hosts.delete(host);
  }

  /** Text that removes the line, if it is shown. */
  clear(): string {
    if (!this.showing) return "";
    this.showing = false;
    return CLEAR;
  }
}
