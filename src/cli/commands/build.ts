import { defineCommand } from "citty";
import { withRun } from "../with-run.ts";

const outputArg = (fallback: string) => ({ type: "string", description: `Where the image goes: registry (push) or docker (load into the local engine); default ${fallback}` }) as const;
const noCacheArg = { type: "boolean", description: "Build without Docker's cache" } as const;

const push = defineCommand({
  meta: { name: "push", description: "Build the app image from a clean git clone of HEAD and push it" },
  args: { output: outputArg("registry"), "no-cache": noCacheArg },
  async run({ args }) {
    const { buildAndPush } = await import("../../orchestration/build.ts");
    await withRun({}, async (run) => {
      await run.session.step("Build and push app image", () => buildAndPush(run, { noCache: args["no-cache"], output: args.output }));
    });
  },
});

const pull = defineCommand({
  meta: { name: "pull", description: "Pull the app image on the servers" },
  async run() {
    const { pullOnHosts } = await import("../../orchestration/build.ts");
    await withRun({}, async (run) => {
      await run.session.step(`Pull ${run.config.absoluteImage}`, () => pullOnHosts(run));
    });
  },
});

const deliver = defineCommand({
  meta: { name: "deliver", description: "Build and push the app image, then pull it on the servers" },
  args: { "no-cache": noCacheArg },
  async run({ args }) {
    const { buildAndPush, pullOnHosts } = await import("../../orchestration/build.ts");
    await withRun({}, async (run) => {
      await run.session.step("Build and push app image", () => buildAndPush(run, { noCache: args["no-cache"] }));
      await run.session.step(`Pull ${run.config.absoluteImage}`, () => pullOnHosts(run));
    });
  },
});

const dev = defineCommand({
  meta: { name: "dev", description: "Build the working directory as it is (tagged VERSION-dirty), for trying things out" },
  args: { output: outputArg("docker"), "no-cache": noCacheArg },
  async run({ args }) {
    const { buildDev } = await import("../../orchestration/build-ops.ts");
    await withRun({}, (run) => run.session.step("Build dev image", () => buildDev(run, { output: args.output, noCache: args["no-cache"] })));
  },
});

const create = defineCommand({
  meta: { name: "create", description: "Create the buildx builder the config describes" },
  async run() {
    const { createBuilder } = await import("../../orchestration/build-ops.ts");
    await withRun({}, async (run) => process.stdout.write(`${await createBuilder(run)}\n`));
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove the buildx builder" },
  async run() {
    const { removeBuilder } = await import("../../orchestration/build-ops.ts");
    await withRun({}, async (run) => process.stdout.write(`${await removeBuilder(run)}\n`));
  },
});

const details = defineCommand({
  meta: { name: "details", description: "Show the builder kind, docker contexts and buildx builders" },
  async run() {
    const { builderDetails } = await import("../../orchestration/build-ops.ts");
    await withRun({}, async (run) => {
      const text = await builderDetails(run);
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    });
  },
});

export default defineCommand({
  meta: { name: "build", description: "Build the app image, push it, pull it on the servers; manage the builder" },
  subCommands: { deliver, push, pull, dev, create, remove, details },
});
