import { expect, test } from "bun:test";
import { invokedName } from "../../../src/runtime.ts";

test("the binary's name, with a .exe in any case dropped", () => {
  expect(invokedName("/usr/local/bin/sextant", undefined)).toBe("sextant");
  expect(invokedName("/usr/local/bin/kamal-proxy", undefined)).toBe("kamal-proxy");
  expect(invokedName("C:\\tools\\kamal-proxy.EXE".replaceAll("\\", "/"), undefined)).toBe("kamal-proxy");
  expect(invokedName("sextant.exe", undefined)).toBe("sextant");
  // Only the last extension goes: a name that is not one of the two stays as it is.
  expect(invokedName("/opt/kamal-proxy.exe.exe", undefined)).toBe("kamal-proxy.exe");
  expect(invokedName("/usr/bin/bun", undefined)).toBe("bun");
});

test("under a runtime, the script's name counts when it is kamal-proxy (.ts, .js or .exe, any case)", () => {
  for (const script of ["/x/kamal-proxy", "/x/kamal-proxy.ts", "/x/kamal-proxy.JS", "/x/kamal-proxy.exe"]) expect(invokedName("/usr/bin/bun", script), script).toBe("kamal-proxy");
  for (const script of ["/x/main.ts", "/x/kamal-proxy.mjs", "/x/kamal-proxy.ts.bak"]) expect(invokedName("/usr/bin/bun", script), script).toBe("bun");
});
