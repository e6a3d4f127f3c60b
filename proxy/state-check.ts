/**
 * Type checks for one service entry of the state file. The file may have been edited by hand, written by
 * another version or damaged; one wrongly typed field must cost that service only (it is skipped and
 * named in the log), never the other services or the start of the proxy.
 */
import { isBasicAuth } from "./basic-auth.ts";
import { defaultServiceOptions, defaultTargetOptions } from "./options.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "string");

/** Every key present in `given` must have the type of the same key in `defaults` (null allowed where the default is null). */
function checkShape(given: unknown, defaults: Json, where: string): void {
  if (given === undefined || given === null) return;
  if (!isObject(given)) throw new Error(`${where} is not an object`);
  for (const [key, def] of Object.entries(defaults)) {
    const v = given[key];
    if (v === undefined) continue;
    const at = `${where}.${key}`;
    if (def === null) {
      if (v !== null && !isStringList(v)) throw new Error(`${at} is not a list of strings`);
    } else if (Array.isArray(def)) {
      if (v !== null && !isStringList(v)) throw new Error(`${at} is not a list of strings`);
    } else if (isObject(def)) {
      checkShape(v, def, at);
    } else if (typeof v !== typeof def || (typeof v === "number" && !Number.isFinite(v))) {
      throw new Error(`${at} is not a ${typeof def}`);
    }
  }
}

function checkList(r: Json, key: string, nullable: boolean): void {
  const v = r[key];
  if (v === undefined || (nullable && v === null)) return;
  if (!isStringList(v)) throw new Error(`${key} is not a list of strings`);
}

/** Throws a short message naming the first bad field. */
export function checkServiceEntry(r: unknown): asserts r is Json {
  if (!isObject(r)) throw new Error("entry is not an object");
  if (typeof r.name !== "string" || r.name === "") throw new Error("name is missing");
  const { basic_auth: _auth, ...serviceDefaults } = defaultServiceOptions();
  checkShape(r.options, serviceDefaults as unknown as Json, "options");
  const auth = isObject(r.options) ? r.options.basic_auth : undefined;
  if (auth !== undefined && auth !== null && !isBasicAuth(auth)) throw new Error("options.basic_auth is not a username and a password hash");
  checkShape(r.target_options, defaultTargetOptions() as unknown as Json, "target_options");
  for (const key of ["hosts", "path_prefixes", "active_targets", "active_readers"]) checkList(r, key, true);
  for (const key of ["rollout_targets", "rollout_readers"]) checkList(r, key, true);
  for (const key of ["active_target", "rollout_target"]) if (r[key] !== undefined && r[key] !== null && typeof r[key] !== "string") throw new Error(`${key} is not a string`);
  checkShape(r.pause_controller, { state: 0, stop_message: "", fail_after: 0 }, "pause_controller");
  checkShape(r.rollout_controller, { percentage: 0, percentage_split_point: 0, allowlist: null, disabled: false }, "rollout_controller");
}
