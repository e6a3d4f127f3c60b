import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import type { Run } from "../../orchestration/run.ts";
import { withRun } from "../_run.ts";

const sideArgs = {
  "skip-local": { type: "boolean", alias: "L", description: "Not on this machine" },
  "skip-remote": { type: "boolean", alias: "R", description: "Not on the servers" },
} as const;

type Sides = { "skip-local"?: boolean; "skip-remote"?: boolean };

async function setup(run: Run, args: Sides): Promise<void> {
  const { ensureLocalRegistry } = await import("../../orchestration/local-registry.ts");
  const { loginLocally, loginOnHosts } = await import("../../orchestration/registry.ts");
  if (run.config.registry.local) {
    if (!args["skip-local"]) await run.session.step("Start the local registry", () => ensureLocalRegistry(run));
    return;
  }
  if (!args["skip-local"]) await run.session.step("Log in locally", () => loginLocally(run));
  if (!args["skip-remote"]) await run.session.step("Log in on the servers", () => loginOnHosts(run, run.selection.hosts));
}

async function teardown(run: Run, args: Sides): Promise<void> {
  const { removeLocalRegistry } = await import("../../orchestration/local-registry.ts");
  const { logoutOnHosts } = await import("../../orchestration/registry.ts");
  const { runLocal } = await import("../../orchestration/local.ts");
  if (run.config.registry.local) {
    if (!args["skip-local"]) await run.session.step("Remove the local registry", () => removeLocalRegistry(run));
    return;
  }
  const server = run.config.registry.server;
  if (!args["skip-local"]) {
    await run.session.step("Log out locally", () =>
      runLocal(["docker", "logout", ...(server ? [server] : [])], { allowFailure: true, reporter: run.reporter }).then(() => undefined),
    );
  }
  if (!args["skip-remote"]) await run.session.step("Log out on the servers", () => logoutOnHosts(run, run.selection.hosts));
}

function refuseLocal(run: Run, command: string, instead: string): void {
  if (run.config.registry.local) {
    throw new UsageError(`Cannot use ${command} command with a local registry. Use \`sextant registry ${instead}\` instead.`);
  }
}

export default defineCommand({
  meta: { name: "registry", description: "Log in to / out of the registry, or start / remove the local registry" },
  subCommands: {
    setup: defineCommand({
      meta: { name: "setup", description: "Log in locally and on the servers (a local registry: start its container)" },
      args: sideArgs,
      run: ({ args }) => withRun({ command: "registry", subcommand: "setup" }, (run) => setup(run, args)),
    }),
    remove: defineCommand({
      meta: { name: "remove", description: "Log out locally and on the servers (a local registry: remove its container)" },
      args: sideArgs,
      run: ({ args }) => withRun({ command: "registry", subcommand: "remove" }, (run) => teardown(run, args)),
    }),
    login: defineCommand({
      meta: { name: "login", description: "Log in locally and on the servers" },
      args: sideArgs,
      run: ({ args }) =>
        withRun({ command: "registry", subcommand: "login" }, (run) => {
          refuseLocal(run, "login", "setup");
          return setup(run, args);
        }),
    }),
    logout: defineCommand({
      meta: { name: "logout", description: "Log out locally and on the servers" },
      args: sideArgs,
      run: ({ args }) =>
        withRun({ command: "registry", subcommand: "logout" }, (run) => {
          refuseLocal(run, "logout", "remove");
          return teardown(run, args);
        }),
    }),
  },
});
