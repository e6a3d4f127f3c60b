/** `sextant docs [SECTION]` (Kamal's configuration documentation, embedded) and `sextant version`. */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DOC_SECTIONS, documentation, NoDocumentationError } from "../../../src/docs/index.ts";
import { SEXTANT_ADDITIONS } from "../../../src/docs/sextant.ts";
import { SEXTANT_VERSION } from "../../../src/version.ts";

const MAIN = join(import.meta.dir, "../../../src/main.ts");
const DOCS = join(import.meta.dir, "../../fixtures/kamal/kamal-config-docs");

function sextant(args: string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("docs", () => {
  test("the sections are Kamal's", () => {
    const files = readdirSync(DOCS)
      .filter((f) => f.endsWith(".yml"))
      .map((f) => f.slice(0, -4))
      .sort();
    expect([...DOC_SECTIONS].sort()).toEqual(files);
    expect(DOC_SECTIONS).toEqual(["accessory", "alias", "boot", "builder", "configuration", "env", "logging", "output", "proxy", "registry", "role", "servers", "ssh", "sshkit"]);
  });

  test.each(DOC_SECTIONS.map((s) => [s]))("%s: the embedded text is Kamal's file, byte for byte (then sextant's additions)", async (section) => {
    const text = await documentation(section);
    const kamal = readFileSync(join(DOCS, `${section}.yml`), "utf8");
    expect(text.slice(0, kamal.length)).toBe(kamal);
    expect(text.slice(kamal.length)).toBe(SEXTANT_ADDITIONS[section] ?? "");
  });

  test.each([
    [undefined, "configuration"],
    ["", "configuration"],
    ["Proxy", "proxy"],
    ["SSHKIT", "sshkit"],
  ])("%j shows %s", async (section, file) => {
    expect(await documentation(section)).toBe(readFileSync(join(DOCS, `${file}.yml`), "utf8") + (SEXTANT_ADDITIONS[file] ?? ""));
  });

  test.each([["aliases"], ["nope"], ["constructor"], ["__proto__"]])("%s: no documentation", async (section) => {
    const error = await documentation(section).catch((e) => e);
    expect(error).toBeInstanceOf(NoDocumentationError);
    expect(error.message).toBe(`No documentation found for ${section}`);
    expect(error.hint).toBe("Sections: accessory, alias, boot, builder, configuration, env, logging, output, proxy, registry, role, servers, ssh, sshkit (e.g. `sextant docs proxy`)");
  });

  test("the command prints the section", () => {
    const result = sextant(["docs", "alias"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(DOCS, "alias.yml"), "utf8"));
    expect(sextant(["docs"]).stdout).toStartWith("# Kamal Configuration\n");
  });

  test("an unknown section: the message and the list of sections", () => {
    const result = sextant(["docs", "nope"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "ERROR No documentation found for nope\nSections: accessory, alias, boot, builder, configuration, env, logging, output, proxy, registry, role, servers, ssh, sshkit (e.g. `sextant docs proxy`)\n",
    );
  });
});

describe("version", () => {
  test.each([[["version"]], [["--version"]]])("%j prints sextant's version", (args) => {
    expect(sextant(args)).toEqual({ status: 0, stdout: `${SEXTANT_VERSION}\n`, stderr: "" });
  });
});

describe("sextant's additions", () => {
  test("every key beyond Kamal 2.12 is documented with an example, and parses as YAML", async () => {
    const { parse } = await import("yaml");
    const proxy = await documentation("proxy");
    for (const key of ["client_ip_header:", "canonical_host:", "exclude_metrics_paths:", "port: 3001", "tls_on_demand_url:", "http3: true"]) expect(proxy).toContain(key);
    expect(await documentation("role")).toContain("replicas: 3");
    for (const text of Object.values(SEXTANT_ADDITIONS)) expect(() => parse(text)).not.toThrow();
  });
});
