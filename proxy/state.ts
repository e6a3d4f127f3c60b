/**
 * The state file: a JSON array of services in kamal-proxy's format (durations in nanoseconds), written
 * after every mutating command and read once at startup. Legacy single-target keys are still read.
 */
import { msToNs, nsToMs } from "./duration.ts";
import { defaultServiceOptions, defaultTargetOptions, normalizePrefixes } from "./options.ts";
import type { PauseControllerJson } from "./pause-controller.ts";
import type { ServiceOptions, TargetOptions } from "./protocol.ts";
import type { RolloutControllerJson } from "./rollout-controller.ts";
import { checkServiceEntry } from "./state-check.ts";

export { fileStateStore, type StateStore } from "./state-store.ts";

/** A service as the state file holds it, with durations already converted to milliseconds. */
export interface ServiceState {
  name: string;
  options: ServiceOptions;
  target_options: TargetOptions;
  active_targets: string[];
  active_readers: string[];
  rollout_targets: string[] | null;
  rollout_readers: string[] | null;
  pause_controller: PauseControllerJson | null;
  rollout_controller: RolloutControllerJson | null;
}

export function encodeState(services: ServiceState[]): string {
  return JSON.stringify(
    services.map((s) => ({
      ...s,
      options: { ...s.options, writer_affinity_timeout: msToNs(s.options.writer_affinity_timeout) },
      target_options: {
        ...s.target_options,
        health_check_config: {
          ...s.target_options.health_check_config,
          interval: msToNs(s.target_options.health_check_config.interval),
          timeout: msToNs(s.target_options.health_check_config.timeout),
        },
        response_timeout: msToNs(s.target_options.response_timeout),
      },
    })),
  );
}

export type DecodedEntry = { ok: true; state: ServiceState } | { ok: false; name: string; error: string };

/** Parse the state file entry by entry. Throws only when the file as a whole is unusable (not a JSON list). */
export function decodeStateEntries(text: string): DecodedEntry[] {
  const raw = JSON.parse(text) as unknown;
  if (!Array.isArray(raw)) throw new Error("state is not a list of services");
  return raw.map((r, i): DecodedEntry => {
    try {
      checkServiceEntry(r);
      return { ok: true, state: decodeService(r) };
    } catch (e) {
      const name = typeof (r as { name?: unknown })?.name === "string" ? (r as { name: string }).name : `#${i + 1}`;
      return { ok: false, name, error: (e as Error).message };
    }
  });
}

/** Parse the state file; throws on the first unusable entry (tests and tools that want all or nothing). */
export function decodeState(text: string): ServiceState[] {
  return decodeStateEntries(text).map((e) => {
    if (!e.ok) throw new Error(`service ${e.name}: ${e.error}`);
    return e.state;
  });
}

function decodeService(r: Record<string, any>): ServiceState {
  const options: ServiceOptions = { ...defaultServiceOptions(), ...(r.options ?? {}) };
  if (!r.options?.hosts && Array.isArray(r.hosts)) options.hosts = r.hosts;
  if (!r.options?.path_prefixes && Array.isArray(r.path_prefixes)) options.path_prefixes = r.path_prefixes;
  options.hosts ??= [];
  options.path_prefixes = normalizePrefixes(options.path_prefixes);
  options.writer_affinity_timeout = nsToMs(r.options?.writer_affinity_timeout ?? msToNs(options.writer_affinity_timeout));
  const defaults = defaultTargetOptions();
  const to = r.target_options ?? {};
  const hc = to.health_check_config ?? {};
  const target_options: TargetOptions = {
    ...defaults,
    ...to,
    health_check_config: {
      ...defaults.health_check_config,
      ...hc,
      interval: hc.interval !== undefined ? nsToMs(hc.interval) : defaults.health_check_config.interval,
      timeout: hc.timeout !== undefined ? nsToMs(hc.timeout) : defaults.health_check_config.timeout,
    },
    response_timeout: to.response_timeout !== undefined ? nsToMs(to.response_timeout) : defaults.response_timeout,
  };
  const legacy = (v: unknown): string[] | null => (typeof v === "string" && v ? [v] : null);
  return {
    name: String(r.name),
    options,
    target_options,
    active_targets: r.active_targets ?? legacy(r.active_target) ?? [],
    active_readers: r.active_readers ?? [],
    rollout_targets: r.rollout_targets ?? legacy(r.rollout_target),
    rollout_readers: r.rollout_readers ?? null,
    pause_controller: r.pause_controller ?? null,
    rollout_controller: r.rollout_controller ?? null,
  };
}
