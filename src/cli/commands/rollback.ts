import { defineCommand } from "citty";
import { SextantError } from "../../errors.ts";
import { withRun } from "../with-run.ts";

/** Without a version: offer the versions still on the servers (on a terminal), else take the previous one. */
async function chooseVersion(json: boolean | undefined): Promise<string | undefined> {
  const { rollbackCandidates } = await import("../../orchestration/rollback-ops.ts");
  const { current, versions } = await withRun({ json }, (run) => rollbackCandidates(run));
  if (versions.length === 0) {
    throw new SextantError(`No earlier version to roll back to: no other version has a container on every app host${current ? ` (running: ${current})` : ""}`, {
      hint: "List what is there with `sextant app containers`; deploy the version you want with `sextant deploy --version VERSION`.",
    });
  }
  if (!process.stdin.isTTY || json) {
    const message = `Rolling back${current ? ` from ${current}` : ""} to the previous version ${versions[0]}`;
    process.stdout.write(json ? `${JSON.stringify({ type: "info", message })}\n` : `${message}\n`);
    return versions[0];
  }
  const { consola } = await import("consola");
  const choice = await consola.prompt(`Roll back${current ? ` from ${current}` : ""} to which version? (newest first)`, {
    type: "select",
    options: versions.map((v, i) => ({ value: v, label: i === 0 ? `${v} (previous)` : v })),
    initial: versions[0],
  });
  if (typeof choice !== "string" || !versions.includes(choice)) {
    process.stdout.write("Aborted\n");
    return undefined;
  }
  return choice;
}

export default defineCommand({
  meta: {
    name: "rollback",
    description: "Go back to an earlier version whose containers are still on the servers (without VERSION: the previous one; asks on a terminal)",
  },
  args: {
    version: { type: "positional", description: "The version to roll back to (see `sextant app containers`)", required: false },
    json: { type: "boolean", description: "Print progress as JSON lines" },
  },
  async run({ args }) {
    const version = args.version ?? (await chooseVersion(args.json));
    if (version === undefined) return 1;
    const { rollback } = await import("../../orchestration/deploy.ts");
    await withRun({ json: args.json, version }, (run) => rollback(run));
  },
});
