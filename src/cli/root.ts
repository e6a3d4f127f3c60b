import { defineCommand } from "citty";
import { SEXTANT_VERSION } from "../version.ts";
import { commands } from "./commands/index.ts";

export const rootCommand = defineCommand({
  meta: {
    name: "sextant",
    version: SEXTANT_VERSION,
    description: "Deploy web apps to your own servers with zero downtime (Kamal-compatible)",
  },
  subCommands: commands,
});
