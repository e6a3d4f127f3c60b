import { defineCommand } from "citty";
import { SEXTANT_VERSION } from "../../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Show sextant's own version" },
  run() {
    process.stdout.write(`${SEXTANT_VERSION}\n`);
  },
});
