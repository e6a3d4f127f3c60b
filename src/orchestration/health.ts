/**
 * Readiness of a container that no proxy health-checks (non-proxy roles, as Kamal's cli/healthcheck/poller.rb): poll
 * Docker's health status (or plain state) until it is `healthy`/`running`, honouring
 * readiness_delay, up to deploy_timeout.
 */
import { SextantError } from "../errors.ts";
import type { Session } from "./session.ts";

export class HealthcheckError extends SextantError {}

export interface ReadinessOptions {
  host: string;
  /** The command printing the status (`docker inspect ... {{.State.Health.Status}} / {{.State.Status}}`). */
  statusCommand: string;
  deployTimeoutSeconds: number;
  readinessDelaySeconds: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntilReady(session: Session, options: ReadinessOptions): Promise<void> {
  const sleep = options.sleep ?? realSleep;
  const deadline = performance.now() + options.deployTimeoutSeconds * 1000;
  const status = async () => (await session.tryExec(options.host, options.statusCommand)).stdout.trim();
  let current = await status();
  for (let attempt = 1; ; attempt++) {
    if (current === "running" && options.readinessDelaySeconds > 0) {
      session.emit({ type: "info", message: `Container is running on ${options.host}, waiting for readiness delay of ${options.readinessDelaySeconds} seconds` });
      await sleep(options.readinessDelaySeconds * 1000);
      current = await status();
      if (current === "running") return;
    } else if (current === "running" || current === "healthy") return;
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new HealthcheckError(`container not ready after ${options.deployTimeoutSeconds} seconds (${current || "no container"})`);
    }
    await sleep(Math.min(attempt * 1000, left));
    current = await status();
  }
}
