/**
 * Server-side command handling: deploy (health wait, atomic swap, drain), remove, list, pause, stop,
 * resume and rollouts, with state saved after every mutating command (even a failed one).
 */
import { readFileSync } from "node:fs";
import { loadErrorPages, type PageSet } from "./error-pages.ts";
import { LoadBalancer } from "./load-balancer.ts";
import { normalizePrefixes, validateServiceOptions } from "./options.ts";
import { PauseController } from "./pause-controller.ts";
import type {
  DeployArgs,
  ListResult,
  PauseArgs,
  RolloutDeployArgs,
  RolloutSetArgs,
  ServiceArgs,
  ServiceOptions,
  StopArgs,
  TargetOptions,
  ControlRequest,
} from "./protocol.ts";
import { RolloutController } from "./rollout-controller.ts";
import { hostKeys, type Router } from "./router.ts";
import { Service, type ServiceDeps } from "./service.ts";
import { decodeState, encodeState, type ServiceState, type StateStore } from "./state.ts";

export interface CommandDeps extends ServiceDeps {
  router: Router;
  state: StateStore;
}

export class CommandHandler {
  /** Called after every mutating command, so listeners (TLS certificates) can follow the routes. */
  onChange: (() => void) | undefined;

  constructor(private readonly deps: CommandDeps) {}

  private get router(): Router {
    return this.deps.router;
  }

  async dispatch(req: ControlRequest): Promise<unknown> {
    switch (req.method) {
      case "deploy":
        return this.mutating(() => this.deploy(req.args));
      case "remove":
        return this.mutating(() => this.remove(req.args));
      case "list":
        return this.list();
      case "pause":
        return this.mutating(() => this.pause(req.args));
      case "stop":
        return this.mutating(() => this.stop(req.args));
      case "resume":
        return this.mutating(() => this.resume(req.args));
      case "rollout-deploy":
        return this.mutating(() => this.rolloutDeploy(req.args));
      case "rollout-set":
        return this.mutating(() => this.rolloutSet(req.args));
      case "rollout-stop":
        return this.mutating(() => this.rolloutStop(req.args));
      default:
        throw new Error(`unknown method: ${(req as { method: string }).method}`);
    }
  }

  /** kamal-proxy saves state after each mutating RPC, successful or not. */
  private async mutating<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      this.save();
      this.onChange?.();
    }
  }

  private service(name: string): Service {
    const s = this.router.services.get(name);
    if (!s) throw new Error("service not found");
    return s;
  }

  private newGroup(targets: string[], readers: string[], o: ServiceOptions, t: TargetOptions): LoadBalancer {
    return new LoadBalancer(targets, readers, {
      healthCheck: t.health_check_config,
      writerAffinityTimeout: o.writer_affinity_timeout,
      readTargetsAcceptWebsockets: o.read_targets_accept_websockets,
      fetch: this.deps.fetch,
      log: (msg, attrs) => this.deps.logger.info(msg, attrs),
    });
  }

  /** Checks made while the service is built: wildcard ACME, certificates and error pages. */
  private prepare(o: ServiceOptions): PageSet | undefined {
    if (o.tls_enabled && !o.tls_certificate_path && o.hosts.some((h) => h.includes("*")))
      throw new Error("automatic TLS does not support wildcards");
    if (o.tls_certificate_path || o.tls_private_key_path) {
      try {
        const cert = readFileSync(o.tls_certificate_path, "utf8");
        const key = readFileSync(o.tls_private_key_path, "utf8");
        if (!cert.includes("CERTIFICATE") || !key.includes("PRIVATE KEY")) throw new Error("bad pem");
      } catch {
        throw new Error("unable to load certificate");
      }
    }
    return o.error_page_path ? loadErrorPages(o.error_page_path) : undefined;
  }

  async deploy(a: DeployArgs): Promise<void> {
    const { logger } = this.deps;
    const options: ServiceOptions = { ...a.service_options, path_prefixes: normalizePrefixes(a.service_options.path_prefixes) };
    validateServiceOptions(options);
    const pages = this.prepare(options);
    const group = this.newGroup(a.targets, a.readers, options, a.target_options);
    logger.info("Deploying", { service: a.service, targets: a.targets, hosts: options.hosts, paths: options.path_prefixes, tls: options.tls_enabled });
    const conflictCheck = () => {
      if (this.router.conflict(a.service, options.hosts, options.path_prefixes)) {
        logger.error("Host settings conflict with another service", { service: a.service });
        throw new Error("host settings conflict with another service");
      }
    };
    conflictCheck();
    group.beginHealthChecks();
    if (!a.deployment.force) {
      try {
        await group.waitUntilHealthy(a.deployment.deploy_timeout);
      } catch (e) {
        group.stopHealthChecks();
        throw e;
      }
    }
    let old: LoadBalancer | undefined;
    try {
      conflictCheck();
    } catch (e) {
      group.stopHealthChecks();
      throw e;
    }
    const existing = this.router.services.get(a.service);
    if (existing) {
      old = existing.active;
      existing.options = options;
      existing.targetOptions = a.target_options;
      existing.pages = pages;
      existing.active = group;
    } else {
      this.router.services.set(a.service, new Service(a.service, options, a.target_options, group, pages, this.deps));
    }
    this.router.rebuild();
    this.save();
    if (old) {
      old.stopHealthChecks();
      await old.drain(a.deployment.drain_timeout);
    }
    logger.info("Deployed", { service: a.service, targets: a.targets, hosts: options.hosts, paths: options.path_prefixes, tls: options.tls_enabled });
  }

  async remove(a: ServiceArgs): Promise<void> {
    const s = this.service(a.service);
    s.stopHealthChecks();
    this.router.services.delete(a.service);
    this.router.rebuild();
  }

  async list(): Promise<ListResult> {
    const out: ListResult = {};
    for (const s of this.router.services.values()) {
      out[s.name] = {
        host: hostKeys(s.options.hosts).map((h) => h || "*").join(","),
        path: s.options.path_prefixes.join(","),
        tls: s.options.tls_enabled,
        target: s.active.all.map((t) => t.address).join(","),
        state: s.pause.state,
      };
    }
    return out;
  }

  async pause(a: PauseArgs): Promise<void> {
    const s = this.service(a.service);
    s.pause.pause(a.pause_timeout);
    this.save();
    await s.drain(a.drain_timeout);
    this.deps.logger.info("Service paused", { service: a.service });
  }

  async stop(a: StopArgs): Promise<void> {
    const s = this.service(a.service);
    s.pause.stop(a.message);
    this.save();
    await s.drain(a.drain_timeout);
    this.deps.logger.info("Service stopped", { service: a.service });
  }

  async resume(a: ServiceArgs): Promise<void> {
    this.service(a.service).pause.resume();
    this.deps.logger.info("Service resumed", { service: a.service });
  }

  async rolloutDeploy(a: RolloutDeployArgs): Promise<void> {
    const s = this.service(a.service);
    const group = this.newGroup(a.targets, a.readers, s.options, s.targetOptions);
    this.deps.logger.info("Deploying for rollout", { service: a.service, targets: a.targets });
    group.beginHealthChecks();
    try {
      await group.waitUntilHealthy(a.deployment.deploy_timeout);
    } catch (e) {
      group.stopHealthChecks();
      throw e;
    }
    const old = s.rollout;
    s.rollout = group;
    this.save();
    if (old) {
      old.stopHealthChecks();
      await old.drain(a.deployment.drain_timeout);
    }
    this.deps.logger.info("Deployed for rollout", { service: a.service, targets: a.targets });
  }

  async rolloutSet(a: RolloutSetArgs): Promise<void> {
    const s = this.service(a.service);
    if (!s.rollout) throw new Error("rollout target not set");
    s.rolloutController = new RolloutController(a.percentage, a.allowlist);
    this.deps.logger.info("Set rollout split", { service: a.service, percentage: a.percentage, allowlist: a.allowlist });
  }

  async rolloutStop(a: ServiceArgs): Promise<void> {
    const s = this.service(a.service);
    s.rolloutController = undefined;
    this.deps.logger.info("Stopped rollout", { service: a.service });
  }

  snapshot(): ServiceState[] {
    return [...this.router.services.values()].map((s) => ({
      name: s.name,
      options: s.options,
      target_options: s.targetOptions,
      active_targets: s.active.writers.map((t) => t.address),
      active_readers: s.active.readers.map((t) => t.address),
      rollout_targets: s.rollout ? s.rollout.writers.map((t) => t.address) : null,
      rollout_readers: s.rollout ? s.rollout.readers.map((t) => t.address) : null,
      pause_controller: s.pause.toJSON(),
      rollout_controller: s.rolloutController?.toJSON() ?? null,
    }));
  }

  save(): void {
    try {
      this.deps.state.write(encodeState(this.snapshot()));
    } catch (e) {
      this.deps.logger.error("Unable to save state", { error: (e as Error).message });
    }
  }

  /** Restore services from the state file; targets are trusted as healthy at once. */
  restore(): void {
    const { logger } = this.deps;
    const text = this.deps.state.read();
    if (text === undefined) return void logger.info("No previous state to restore");
    let states: ServiceState[];
    try {
      states = decodeState(text);
    } catch (e) {
      return void logger.error("Failed to restore saved state", { error: (e as Error).message });
    }
    for (const st of states) {
      try {
        const pages = this.prepare(st.options);
        const group = this.newGroup(st.active_targets, st.active_readers, st.options, st.target_options);
        group.markAllHealthy();
        if (group.all.length > 1) group.beginHealthChecks();
        const s = new Service(st.name, st.options, st.target_options, group, pages, this.deps);
        if (st.rollout_targets) {
          s.rollout = this.newGroup(st.rollout_targets, st.rollout_readers ?? [], st.options, st.target_options);
          s.rollout.markAllHealthy();
        }
        s.pause = PauseController.fromJSON(st.pause_controller);
        s.rolloutController = RolloutController.fromJSON(st.rollout_controller);
        this.router.services.set(st.name, s);
      } catch (e) {
        logger.error("Failed to restore saved state", { service: st.name, error: (e as Error).message });
      }
    }
    this.router.rebuild();
    logger.info("Restored saved state", { services: states.map((s) => s.name) });
  }
}
