/**
 * Stand-in vendor CLIs for the adapter tests: small scripts put in a temp directory that becomes
 * the whole PATH. Each records its argv (and the environment variables a test asks about) to
 * calls.jsonl, then answers with the first scripted response whose argv matches exactly: the
 * vendor's documented output on stdout and an exit status. Anything unscripted exits 97.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRunner, type Runner } from "../../../src/secrets/runner.ts";

export interface Response {
  argv: string[];
  stdout?: string | object;
  status?: number;
  /** Only when these environment variables have these values. */
  env?: Record<string, string>;
  /** Answer only the first matching call (later ones fall through to the next response). */
  once?: boolean;
}

export interface Call {
  argv: string[];
  env: Record<string, string | null>;
}

const SCRIPT = `
const { appendFileSync, existsSync, readFileSync, writeFileSync } = require("node:fs");
const { basename, join } = require("node:path");
const dir = __DIR__;
const name = basename(process.argv[1]);
const argv = [name, ...process.argv.slice(2)];
const spec = JSON.parse(readFileSync(join(dir, name + ".json"), "utf8"));
const env = {};
for (const k of spec.watch) env[k] = process.env[k] ?? null;
appendFileSync(join(dir, "calls.jsonl"), JSON.stringify({ argv, env }) + "\\n");
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const usedFile = join(dir, name + ".used.json");
const used = existsSync(usedFile) ? JSON.parse(readFileSync(usedFile, "utf8")) : [];
const index = spec.responses.findIndex((r, i) => !used.includes(i) && same(r.argv, argv) && Object.entries(r.env ?? {}).every(([k, v]) => process.env[k] === v));
const hit = spec.responses[index];
if (hit && hit.once) writeFileSync(usedFile, JSON.stringify([...used, index]));
if (!hit) { process.stderr.write("unexpected: " + JSON.stringify(argv) + "\\n"); process.exit(97); }
if (hit.stdout !== undefined) process.stdout.write(typeof hit.stdout === "string" ? hit.stdout : JSON.stringify(hit.stdout, null, 2) + "\\n");
process.exit(hit.status ?? 0);
`;

export class FakeClis {
  readonly dir = mkdtempSync(join(tmpdir(), "sextant-fake-cli-"));
  readonly bin = join(this.dir, "bin");
  constructor() {
    mkdirSync(this.bin);
  }

  /** Install a stand-in for `name` with these responses (watching these env variables). */
  add(name: string, responses: Response[], watch: string[] = []): this {
    const script = join(this.bin, name);
    writeFileSync(script, `#!${process.execPath}\n${SCRIPT.replace("__DIR__", JSON.stringify(this.bin))}`);
    chmodSync(script, 0o755);
    writeFileSync(join(this.bin, `${name}.json`), JSON.stringify({ responses, watch }));
    return this;
  }

  calls(): Call[] {
    const file = join(this.bin, "calls.jsonl");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
  }

  argvs(): string[][] {
    return this.calls().map((c) => c.argv);
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: this.bin, ...extra };
  }

  runner(extra: Record<string, string> = {}): Runner {
    return createRunner({ env: this.env(extra), stderr: "ignore" });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
