/**
 * The proxy's log goes to stdout through a plain write per event-loop turn. The lines written just
 * before the process exits (the end of a graceful shutdown) must reach a reader that is slow to read,
 * which Node-style buffered stdout streams do not guarantee.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOGGING = join(import.meta.dir, "../../proxy/logging.ts");

test("every line logged before exit reaches a slow reader, in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "log-stdout-"));
  try {
    const child = join(dir, "child.ts");
    writeFileSync(
      child,
      `import { Logger } from ${JSON.stringify(LOGGING)};
const log = new Logger();
for (let i = 0; i < 20000; i++) log.info("line", { i, pad: "x".repeat(100) });
await Bun.sleep(1);
log.info("last", {});
process.exit(0);
`,
    );
    // The reader starts a second late, so the pipe (64 KiB) is full long before the child exits.
    const shell = Bun.spawn(["sh", "-c", `"${process.execPath}" "${child}" | (sleep 1; cat > "${join(dir, "out")}")`], { stdout: "inherit", stderr: "inherit" });
    expect(await shell.exited).toBe(0);
    const lines = (await Bun.file(join(dir, "out")).text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(20001);
    expect(lines.slice(0, -1).every((l, i) => l.msg === "line" && l.i === i)).toBe(true);
    expect(lines.at(-1).msg).toBe("last");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
