/**
 * Server-side command handling: deploy (health wait, atomic swap, drain), remove, list, pause, stop,
 * resume and rollouts, with state saved after every mutating command (even a failed one). Commands for
 * one service run one after another; a command whose state cannot be saved fails and says why.
 */
import { readFileSync } from "node:fs";
import { loadErrorPages, type PageSet } from "./error-pages.ts";
import type { HealthProbe } from "./health-check.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import { LoadBalancer } from "./load-balancer.ts";
import { normalizePrefixes, validateServiceOptions } from "./options.ts";
import { PauseController } from "./pause-controller.ts";
import type { ControlRequest, DeployArgs, ListResult, PauseArgs, RolloutDeployArgs, RolloutSetArgs, ServiceArgs, ServiceOptions, StopArgs, TargetOptions } from "./protocol.ts";
import { RolloutController } from "./rollout-controller.ts";
import { hostKeys, type Router } from "./router.ts";
import { Service, type ServiceDeps } from "./service.ts";
import { decodeStateEntries, encodeState, type ServiceState, type StateStore } from "./state.ts";

export interface CommandDeps extends ServiceDeps {
  router: Router;
  state: StateStore;
  /** How targets' health is checked; without one, checkOnce over `fetch`. */
  probe?: HealthProbe;
}

export class CommandHandler {
  /** Called after every mutating command, so listeners (TLS certificates) can follow the routes. */
  onChange: (() => void) | undefined;

  /** Two deploys of one service at once would race their health checks; the later one waits its turn. */
  private readonly queue = new KeyedQueue();

  constructor(private readonly deps: CommandDeps) {}

  private get router(): Router {
    return this.deps.router;
  }

  async dispatch(req: ControlRequest): Promise<unknown> {
    switch (req.method) {
      case "deploy":
        return this.mutating(req.args.service, () => this.deploy(req.args));
      case "remove":
        return this.mutating(req.args.service, () => this.remove(req.args));
      case "list":
        return this.list();
      case "pause":
        return this.mutating(req.args.service, () => this.pause(req.args));
      case "stop":
        return this.mutating(req.args.service, () => this.stop(req.args));
      case "resume":
        return this.mutating(req.args.service, () => this.resume(req.args));
      case "rollout-deploy":
        return this.mutating(req.args.service, () => this.rolloutDeploy(req.args));
      case "rollout-set":
        return this.mutating(req.args.service, () => this.rolloutSet(req.args));
      case "rollout-stop":
        return this.mutating(req.args.service, () => this.rolloutStop(req.args));
      case "rollout-enable":
        return this.mutating(req.args.service, () => this.rolloutEnable(req.args, req.args.enabled));
      default:
        throw new Error(`unknown method: ${(req as { method: string }).method}`);
    }
  }

  /**
   * kamal-proxy saves state after each mutating RPC, successful or not. A successful command whose state
   * cannot be saved fails (the error of a failed command matters more than a second one from the save).
   */
  private mutating<T>(service: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(String(service), async () => {
      let result: T;
      try {
        result = await fn();
      } catch (e) {
        this.trySave();
        this.onChange?.();
        throw e;
      }
      try {
        this.save();
      } finally {
        this.onChange?.();
      }
      return result;
    });
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
      probe: this.deps.probe,
      log: (msg, attrs) => this.deps.logger.info(msg, attrs),
    });
  }

  /** Checks made while the service is built: wildcard ACME, certificates and error pages. */
  private prepare(o: ServiceOptions): PageSet | undefined {
    if (o.tls_enabled && !o.tls_certificate_path && o.hosts.some((h) => h.includes("*"))) throw new Error("automatic TLS does not support wildcards");
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
    const revert = existing ? { options: existing.options, targetOptions: existing.targetOptions, pages: existing.pages, active: existing.active } : undefined;
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
    try {
      this.save();
    } catch (e) {
      // Unsaved, the new route would vanish at the next start while Kamal believes it deployed: keep the
      // old route serving and fail the command instead.
      if (existing && revert) Object.assign(existing, revert);
      else this.router.services.delete(a.service);
      this.router.rebuild();
      group.stopHealthChecks();
      throw e;
    }
    if (old) {
      old.stopHealthChecks();
      await old.drain(a.deployment.drain_timeout);
    }
    logger.info("Deployed", { service: a.service, targets: a.targets, hosts: options.hosts, paths: options.path_prefixes, tls: options.tls_enabled });
  }

  async remove(a: ServiceArgs): Promise<void> {
    const s = this.service(a.service);
    this.router.services.delete(a.service);
    this.router.rebuild();
    try {
      this.save();
    } catch (e) {
      this.router.services.set(a.service, s);
      this.router.rebuild();
      throw e;
    }
    s.stopHealthChecks();
  }

  async list(): Promise<ListResult> {
    const out: ListResult = {};
    for (const s of this.router.services.values()) {
      out[s.name] = {
        host: hostKeys(s.options.hosts)
          .map((h) => h || "*")
          .join(","),
        path: s.options.path_prefixes.join(","),
        tls: s.options.tls_enabled,
        target: s.active.all.map((t) => t.address).join(","),
        state: s.pause.state,
        hosts: s.options.hosts,
        path_prefixes: s.options.path_prefixes,
        targets: s.active.all.map((t) => t.address),
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

  /** Turn rollout traffic off and on again, keeping the split it was set to. */
  async rolloutEnable(a: ServiceArgs, enabled: boolean): Promise<void> {
    const s = this.service(a.service);
    if (!s.rollout) throw new Error("rollout target not set");
    if (!s.rolloutController) throw new Error("rollout split not set");
    s.rolloutController.enabled = enabled;
    this.deps.logger.info(enabled ? "Enabled rollout" : "Disabled rollout", { service: a.service });
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

  /** Write the state file; throws `unable to save state: <reason>` (logged too). */
  save(): void {
    try {
      this.deps.state.write(encodeState(this.snapshot()));
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.deps.logger.error("Unable to save state", { error: (e as Error).message });
      throw new Error(`unable to save state: ${describeWriteError(e as NodeJS.ErrnoException, reason)}`);
    }
  }

  private trySave(): void {
    try {
      this.save();
    } catch {
      // Already logged; the command's own error is reported.
    }
  }

  /**
   * Restore services from the state file; targets are trusted as healthy at once. Each service stands on
   * its own: a bad one is logged by name and skipped. A file that cannot be decoded at all is set aside
   * (never overwritten by the next save) and the proxy starts empty.
   */
  restore(): void {
    const { logger } = this.deps;
    const setAside = (): string => {
      try {
        return this.deps.state.setAside() ?? "";
      } catch (err) {
        return `not moved: ${(err as Error).message}`;
      }
    };
    let text: string | undefined;
    try {
      text = this.deps.state.read();
    } catch (e) {
      // Unreadable (permissions, I/O error): keep it aside too, or the next save would replace it.
      return void logger.error("Failed to read saved state", { error: (e as Error).message, kept_as: setAside() });
    }
    if (text === undefined) return void logger.info("No previous state to restore");
    let states: ServiceState[];
    try {
      const entries = decodeStateEntries(text);
      states = [];
      for (const e of entries) {
        if (e.ok) states.push(e.state);
        else logger.error("Skipped a service of the saved state", { service: e.name, error: e.error });
      }
    } catch (e) {
      return void logger.error("Failed to restore saved state", { error: (e as Error).message, kept_as: setAside() });
    }
    const restored: string[] = [];
    for (const st of states) {
      try {
        validateServiceOptions(st.options);
        if (this.router.conflict(st.name, st.options.hosts, st.options.path_prefixes)) throw new Error("host settings conflict with another service");
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
        this.router.rebuild();
        restored.push(st.name);
      } catch (e) {
        logger.error("Skipped a service of the saved state", { service: st.name, error: (e as Error).message });
      }
    }
    this.router.rebuild();
    logger.info("Restored saved state", { services: restored });
  }
}

function describeWriteError(e: NodeJS.ErrnoException, fallback: string): string {
  if (e.code === "ENOSPC") return "no space left on device";
  if (e.code === "EACCES" || e.code === "EPERM") return `permission denied (${e.path ?? "state file"})`;
  if (e.code === "EROFS") return "read-only file system";
  if (e.code === "EDQUOT") return "disk quota exceeded";
  return e.message || fallback;
}
