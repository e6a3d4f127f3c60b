/**
 * The configuration documentation `sextant docs [SECTION]` prints: Kamal's own, one YAML file per
 * section with every key explained and shown (embedded in src/docs/kamal, see generate.ts).
 * No section means `configuration` (the root keys), as in Kamal.
 */
import { SextantError } from "../errors.ts";

type Loader = () => Promise<{ default: string }>;

const SECTIONS: Readonly<Record<string, Loader>> = {
  accessory: () => import("./kamal/accessory.ts"),
  alias: () => import("./kamal/alias.ts"),
  boot: () => import("./kamal/boot.ts"),
  builder: () => import("./kamal/builder.ts"),
  configuration: () => import("./kamal/configuration.ts"),
  env: () => import("./kamal/env.ts"),
  logging: () => import("./kamal/logging.ts"),
  output: () => import("./kamal/output.ts"),
  proxy: () => import("./kamal/proxy.ts"),
  registry: () => import("./kamal/registry.ts"),
  role: () => import("./kamal/role.ts"),
  servers: () => import("./kamal/servers.ts"),
  ssh: () => import("./kamal/ssh.ts"),
  sshkit: () => import("./kamal/sshkit.ts"),
};

export const DOC_SECTIONS: readonly string[] = Object.keys(SECTIONS);

export class NoDocumentationError extends SextantError {}

/** The documentation of a section (case-insensitive); throws NoDocumentationError for an unknown one. */
export async function documentation(section?: string): Promise<string> {
  const name = section === undefined || section === "" ? "configuration" : section.toLowerCase();
  const loader = Object.hasOwn(SECTIONS, name) ? SECTIONS[name] : undefined;
  if (!loader) {
    throw new NoDocumentationError(`No documentation found for ${section}`, {
      hint: `Sections: ${DOC_SECTIONS.join(", ")} (e.g. \`sextant docs proxy\`)`,
    });
  }
  const { SEXTANT_ADDITIONS } = await import("./sextant.ts");
  return (await loader()).default + (SEXTANT_ADDITIONS[name] ?? "");
}
