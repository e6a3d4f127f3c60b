/**
 * In-process pieces for testing the request stages without opening a port: a request context, a logger
 * that keeps its lines, and a real router filled by a real deploy whose targets are answered by a
 * function instead of a socket (the same FetchLike seam the proxy's health checks and forwarding use).
 */
import { expect } from "bun:test";
import { systemClock } from "../../../proxy/clock.ts";
import { CommandHandler } from "../../../proxy/commands.ts";
import { type ConnInfo, RequestContext } from "../../../proxy/context.ts";
import { Logger } from "../../../proxy/logging.ts";
import { noopMetrics } from "../../../proxy/metrics.ts";
import { defaultServiceOptions, defaultTargetOptions } from "../../../proxy/options.ts";
import type { ServiceOptions, TargetOptions } from "../../../proxy/protocol.ts";
import { Router } from "../../../proxy/router.ts";

export const PLAIN_CONN: ConnInfo = { remoteAddr: "192.0.2.7", remotePort: 40000, tls: false, port: 80 };

export function contextFor(url: string, headers: Record<string, string> = {}, conn: ConnInfo = PLAIN_CONN): RequestContext {
  return new RequestContext(new Request(url, { headers }), conn);
}

export function recordingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  return { logger: new Logger((l) => raw.push(l)), lines: () => raw.map((l) => JSON.parse(l)) };
}

export type Upstream = (req: Request) => Response | Promise<Response>;

/** A router holding services deployed through the command handler, their targets answered by `upstream`. */
export class InMemoryProxy {
  readonly router = new Router();
  readonly log = recordingLogger();
  readonly commands: CommandHandler;
  private stateText: string | undefined;

  constructor(upstream: Upstream) {
    this.commands = new CommandHandler({
      router: this.router,
      state: {
        read: () => this.stateText,
        write: (t) => {
          this.stateText = t;
        },
        setAside: () => undefined,
      },
      fetch: async (input, init) => upstream(input instanceof Request ? input : new Request(input, init)),
      clock: systemClock,
      logger: this.log.logger,
      metrics: noopMetrics,
    });
  }

  async deploy(service: string, target: string, service_options: Partial<ServiceOptions> = {}, target_options: Partial<TargetOptions> = {}): Promise<void> {
    const defaults = defaultTargetOptions();
    await this.commands.dispatch({
      method: "deploy",
      args: {
        service,
        targets: [target],
        readers: [],
        deployment: { deploy_timeout: 2000, drain_timeout: 1000, force: false },
        service_options: { ...defaultServiceOptions(), ...service_options },
        target_options: { ...defaults, health_check_config: { ...defaults.health_check_config, interval: 20 }, ...target_options },
      },
    });
    expect(this.router.services.has(service)).toBe(true);
  }

  stop(): void {
    for (const s of this.router.services.values()) s.stopHealthChecks();
  }
}
