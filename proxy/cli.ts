/**
 * The proxy's command line: `sextant proxy-server <command>`, and the whole command line when the
 * binary is started as `kamal-proxy`. It speaks kamal-proxy's commands and flags, prints errors as
 * `Error: <message>` on stderr and returns exit code 1 for them (as cobra does).
 */

export interface ProxyCommandInfo {
  name: string;
  aliases?: string[];
  summary: string;
}

export const PROXY_COMMANDS: readonly ProxyCommandInfo[] = [
  { name: "run", summary: "Run the server" },
  { name: "deploy", summary: "Deploy a target host" },
  { name: "remove", aliases: ["rm"], summary: "Remove the service" },
  { name: "list", aliases: ["ls"], summary: "List the services currently running" },
  { name: "pause", summary: "Pause a service" },
  { name: "resume", summary: "Resume a service" },
  { name: "stop", summary: "Stop a service" },
  { name: "rollout", summary: "Set or clear a rollout (deploy, set, stop)" },
];

export function renderProxyHelp(prog: string): string {
  const width = Math.max(...PROXY_COMMANDS.map((c) => c.name.length));
  const lines = PROXY_COMMANDS.map((c) => {
    const aliases = c.aliases?.length ? ` (alias: ${c.aliases.join(", ")})` : "";
    return `  ${c.name.padEnd(width)}  ${c.summary}${aliases}`;
  });
  return [
    "HTTP proxy for zero downtime deployments",
    "",
    "Usage:",
    `  ${prog} [command]`,
    "",
    "Available Commands:",
    `  ${"help".padEnd(width)}  Help about any command`,
    ...lines,
    "",
    "Flags:",
    "  -h, --help   help for kamal-proxy",
    "",
    `Use "${prog} [command] --help" for more information about a command.`,
    "",
  ].join("\n");
}

export interface ProxyIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: ProxyIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Run the proxy command line. `prog` is how the user called it, for help texts. */
export async function runProxyCli(argv: readonly string[], prog: string, io: ProxyIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.out(renderProxyHelp(prog));
    return 0;
  }
  const known = PROXY_COMMANDS.find((c) => c.name === command || c.aliases?.includes(command));
  if (!known) {
    io.err(`Error: unknown command "${command}" for "${prog}"\nRun '${prog} --help' for usage.\n`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`${known.summary}\n\nUsage:\n  ${prog} ${known.name} [flags]\n`);
    return 0;
  }
  io.err(`Error: "${known.name}" is not available in this build yet\n`);
  return 1;
}
