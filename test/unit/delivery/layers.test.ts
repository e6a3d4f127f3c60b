import { describe, expect, test } from "bun:test";
import { chainIds, hostChainIds, missingLayers, usesContainerdStore } from "../../../src/delivery/layers.ts";

// Read from a Docker 20.10 engine's layer store (image/overlay2/layerdb/sha256/<chain ID>/{diff,parent})
// after loading a two-layer image: the directory name is the chain ID Docker computed.
const BASE = "sha256:edc0b1b23bab922378b766a3f6b2d4c368c105ee62890885c361d3ba0ae451cb";
const TOP = "sha256:b84bafa9a51bf971ab59620ed58ec338a74ef5310370742c98889cc5a57af110";
const TOP_CHAIN = "sha256:d783ceed7525e154657491d02078dea694dca3a4648c41884e8b7b2b4ec57195";
const OTHER_TOP = "sha256:c73dec9a89ba3fabf275083f0f1c3b5975c872a48d9501484d7d876e0cd075ea";
const OTHER_TOP_CHAIN = "sha256:9e18c2527c9a4ea9dcd5b6d25790a69088fb9ddf834dc5b0525887ab1e45306a";

describe("chain IDs", () => {
  test("match the ones Docker's layer store uses", () => {
    expect(chainIds([BASE, TOP])).toEqual([BASE, TOP_CHAIN]);
    expect(chainIds([BASE, OTHER_TOP])).toEqual([BASE, OTHER_TOP_CHAIN]);
  });

  test("the same diff ID on another parent is another layer", () => {
    const [, onOther] = chainIds([OTHER_TOP, TOP]);
    expect(onOther).not.toBe(TOP_CHAIN);
    expect(chainIds([])).toEqual([]);
  });
});

describe("which layers a server lacks", () => {
  test("from `docker image inspect` lines, skipping what is not a diff ID list", () => {
    const present = hostChainIds(`[${JSON.stringify(BASE)},${JSON.stringify(OTHER_TOP)}]\nError: No such image: sha256:abc\n\n[]\nnull\n[1,2]\n`);
    expect([...present].sort()).toEqual([BASE, OTHER_TOP_CHAIN].sort());
  });

  test("the new top layer on a server that has the base from another image", () => {
    const present = hostChainIds(JSON.stringify([BASE, OTHER_TOP]));
    expect(missingLayers([BASE, TOP], present)).toEqual([1]);
  });

  test("a bare server lacks every layer; a server with the image lacks none", () => {
    expect(missingLayers([BASE, TOP], new Set())).toEqual([0, 1]);
    expect(missingLayers([BASE, TOP], hostChainIds(JSON.stringify([BASE, TOP])))).toEqual([]);
  });

  test("a top layer whose diff ID a server has on another base is still sent", () => {
    // The server has TOP, but above OTHER_TOP: a different chain.
    const present = hostChainIds(JSON.stringify([OTHER_TOP, TOP]));
    expect(missingLayers([BASE, TOP], present)).toEqual([0, 1]);
  });

  test("the containerd image store is recognised from docker info's DriverStatus", () => {
    expect(usesContainerdStore('[["driver-type","io.containerd.snapshotter.v1"]]')).toBe(true);
    expect(usesContainerdStore('[["Backing Filesystem","extfs"],["Supports d_type","true"]]')).toBe(false);
  });
});
