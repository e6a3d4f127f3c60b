import { defineCommand } from "citty";
import { withRun } from "../with-run.ts";

const sideArgs = {
  "skip-local": { type: "boolean", alias: "L", description: "Not on this machine" },
  "skip-remote": { type: "boolean", alias: "R", description: "Not on the servers" },
} as const;

const ops = () => import("../../orchestration/registry-ops.ts");
const sides = (args: { "skip-local"?: boolean; "skip-remote"?: boolean }) => ({ skipLocal: args["skip-local"], skipRemote: args["skip-remote"] });

export default defineCommand({
  meta: { name: "registry", description: "Log in to / out of the registry, or start / remove the local registry" },
  subCommands: {
    setup: defineCommand({
      meta: { name: "setup", description: "Log in locally and on the servers (a local registry: start its container)" },
      args: sideArgs,
      run: async ({ args }) => {
        const { registrySetup } = await ops();
        await withRun({}, (run) => registrySetup(run, sides(args)));
      },
    }),
    remove: defineCommand({
      meta: { name: "remove", description: "Log out locally and on the servers (a local registry: remove its container)" },
      args: sideArgs,
      run: async ({ args }) => {
        const { registryRemove } = await ops();
        await withRun({}, (run) => registryRemove(run, sides(args)));
      },
    }),
    login: defineCommand({
      meta: { name: "login", description: "Log in locally and on the servers" },
      args: sideArgs,
      run: async ({ args }) => {
        const { refuseLocalRegistry, registrySetup } = await ops();
        await withRun({}, (run) => {
          refuseLocalRegistry(run, "login");
          return registrySetup(run, sides(args));
        });
      },
    }),
    logout: defineCommand({
      meta: { name: "logout", description: "Log out locally and on the servers" },
      args: sideArgs,
      run: async ({ args }) => {
        const { refuseLocalRegistry, registryRemove } = await ops();
        await withRun({}, (run) => {
          refuseLocalRegistry(run, "logout");
          return registryRemove(run, sides(args));
        });
      },
    }),
  },
});
