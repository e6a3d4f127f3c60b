import { defineCommand } from "citty";

export default defineCommand({
  meta: { name: "init", description: "Create config/deploy.yml, .kamal/secrets and sample hooks" },
  async run() {
    const { initProject } = await import("../../config/init.ts");
    const result = initProject({ cwd: process.cwd() });
    for (const file of result.created) process.stdout.write(`Created ${file}\n`);
    for (const file of result.skipped) process.stdout.write(`Kept existing ${file}\n`);
  },
});
