import { describe, expect, test } from "bun:test";
import type { HostPlan } from "../../../src/orchestration/delivery.ts";
import { planSharing } from "../../../src/orchestration/delivery-peers.ts";

const MB = 1024 * 1024;
function host(name: string, missing: number[], bytes: number, canServe = true, containerd = false): HostPlan {
  return { host: name, missing, containerd, canServe, plan: { ranges: [], manifest: new Uint8Array(), bytes, layerBytes: bytes } };
}

describe("choosing who passes layers to whom", () => {
  test("the server lacking the most is the seed; servers lacking a subset of it are its peers", () => {
    const a = host("a", [2], 10 * MB);
    const b = host("b", [1, 2], 60 * MB);
    const c = host("c", [1, 2], 60 * MB, false);
    const chosen = planSharing([a, b, c]);
    expect(chosen?.seed.host).toBe("b");
    expect(chosen?.peers.map((p) => p.host).sort()).toEqual(["a", "c"]);
  });

  test("a server lacking a layer the seed has is not a peer (its archive would miss it)", () => {
    const seed = host("seed", [2], 50 * MB);
    const other = host("other", [1, 2], 40 * MB, false);
    expect(planSharing([seed, other])).toBeUndefined();
  });

  test("small archives, a single server, no server able to serve, the containerd store: no sharing", () => {
    expect(planSharing([host("a", [1], MB), host("b", [1], MB)])).toBeUndefined();
    expect(planSharing([host("a", [1], 50 * MB)])).toBeUndefined();
    expect(planSharing([host("a", [1], 50 * MB, false), host("b", [1], 50 * MB, false)])).toBeUndefined();
    expect(planSharing([host("a", [1], 50 * MB), host("b", [1], 50 * MB, true, true)])).toBeUndefined();
  });

  test("the threshold is a parameter", () => {
    expect(planSharing([host("a", [1], MB), host("b", [1], MB)], 512 * 1024)?.seed.host).toBe("a");
  });
});
