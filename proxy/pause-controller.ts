/**
 * Pause/stop/resume for one service. Paused requests wait (each with its own max-pause timer); stopping
 * releases them as "stopped" with the message; resuming lets them through.
 */

export type PauseState = "running" | "paused" | "stopped";
export type WaitResult = { kind: "ok" } | { kind: "stopped"; message: string } | { kind: "timeout" };

const STATE_CODE: Record<PauseState, number> = { running: 0, paused: 1, stopped: 2 };

export interface PauseControllerJson {
  state: number;
  stop_message: string;
  fail_after: number;
}

export class PauseController {
  state: PauseState = "running";
  stopMessage = "";
  /** Max-pause in ms, kept so a restored paused service holds requests for the same time. */
  failAfter = 0;
  private waiters = new Set<() => void>();

  pause(failAfter: number): void {
    this.state = "paused";
    this.failAfter = failAfter;
  }

  stop(message: string): void {
    this.state = "stopped";
    this.stopMessage = message;
    this.release();
  }

  resume(): void {
    this.state = "running";
    this.release();
  }

  private release(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Resolve when the request may proceed, is rejected because stopped, or the pause expired. */
  async wait(signal?: AbortSignal): Promise<WaitResult> {
    if (this.state === "running") return { kind: "ok" };
    if (this.state === "stopped") return { kind: "stopped", message: this.stopMessage };
    const timedOut = await new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve(false);
      };
      const onAbort = () => wake();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      }, this.failAfter);
      this.waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    if (timedOut) return { kind: "timeout" };
    if ((this.state as PauseState) === "stopped") return { kind: "stopped", message: this.stopMessage };
    return { kind: "ok" };
  }

  toJSON(): PauseControllerJson {
    return { state: STATE_CODE[this.state], stop_message: this.stopMessage, fail_after: Math.round(this.failAfter * 1e6) };
  }

  static fromJSON(j: Partial<PauseControllerJson> | null | undefined): PauseController {
    const pc = new PauseController();
    if (!j) return pc;
    pc.state = j.state === 1 ? "paused" : j.state === 2 ? "stopped" : "running";
    pc.stopMessage = j.stop_message ?? "";
    pc.failAfter = (j.fail_after ?? 0) / 1e6;
    return pc;
  }
}
