/**
 * `boot`: rolling boots. Stricter than Kamal: `limit` is a positive integer or a percentage like
 * "25%" (Kamal takes any string and misbehaves at deploy time).
 */
import * as v from "valibot";
import { type AnySchema, bool, hash, int, TYPE_MARK } from "./common.ts";

function limit(): AnySchema {
  const message = TYPE_MARK + "should be a number of hosts or a percentage\u0000e.g. limit: 3, or limit: 25%";
  return v.custom((x) => (typeof x === "number" && Number.isInteger(x) && x >= 1) || (typeof x === "string" && /^([1-9][0-9]?|100)%$/.test(x.trim())), message) as AnySchema;
}

export function bootSchema(): AnySchema {
  return hash({ limit: limit(), wait: int("seconds, e.g. wait: 10"), parallel_roles: bool() });
}
