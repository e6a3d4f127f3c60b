/**
 * Cookie-split rollouts: the `kamal-rollout` cookie value is in the allowlist, or its FNV-1a-32 hash is at
 * most 4294967295 × percent / 100. Deterministic per value, so one account stays on one side.
 */

export const ROLLOUT_COOKIE = "kamal-rollout";

export interface RolloutControllerJson {
  percentage: number;
  percentage_split_point: number;
  allowlist: string[] | null;
  /** Written only when `rollout disable` turned the split off (kamal-proxy's newer releases have the command). */
  disabled?: boolean;
}

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class RolloutController {
  readonly splitPoint: number;
  /** `rollout disable` keeps the split but sends no traffic to the rollout group until `rollout enable`. */
  enabled = true;
  constructor(
    readonly percentage: number,
    readonly allowlist: string[],
  ) {
    this.splitPoint = (4294967295 * percentage) / 100;
  }

  /** True when a request with this cookie value belongs to the rollout group. */
  selects(value: string | undefined): boolean {
    if (value === undefined || !this.enabled) return false;
    if (this.allowlist.includes(value)) return true;
    return fnv1a32(value) <= this.splitPoint;
  }

  toJSON(): RolloutControllerJson {
    const json: RolloutControllerJson = { percentage: this.percentage, percentage_split_point: Math.floor(this.splitPoint), allowlist: this.allowlist };
    if (!this.enabled) json.disabled = true;
    return json;
  }

  static fromJSON(j: RolloutControllerJson | null | undefined): RolloutController | undefined {
    if (!j) return undefined;
    const c = new RolloutController(j.percentage ?? 0, j.allowlist ?? []);
    c.enabled = j.disabled !== true;
    return c;
  }
}
