/**
 * What the `accessory` sub-commands do, so the CLI file only reads arguments and prints: which
 * accessories a name means, the deploy lock around changes, one titled step per accessory, and the
 * interactive sessions (`exec -i`, `logs -f`) on an accessory's first host.
 */
import { type AccessoryLogsOptions, accessoryCommands } from "../commands/accessory.ts";
import type { Accessory } from "../config/model.ts";
import { UsageError } from "../errors.ts";
import { accessoriesNamed, accessoryHosts, bootAccessory, rebootAccessory, removeAccessory, startAccessory, stopAccessory } from "./accessory.ts";
import { runInteractive, stdinIsTty } from "./interactive.ts";
import { withLock } from "./lock.ts";
import type { Run } from "./run.ts";

export type AccessoryChange = "boot" | "reboot" | "start" | "stop" | "restart" | "remove";

const STEPS: Record<AccessoryChange, [title: string, act: (run: Run, accessory: Accessory) => Promise<void>][]> = {
  boot: [["Boot", bootAccessory]],
  reboot: [["Reboot", rebootAccessory]],
  start: [["Start", startAccessory]],
  stop: [["Stop", stopAccessory]],
  restart: [
    ["Stop", stopAccessory],
    ["Start", startAccessory],
  ],
  remove: [["Remove", removeAccessory]],
};

/** `accessory boot|reboot|start|stop|restart|remove NAME|all`: under the lock, accessory by accessory. */
export async function changeAccessories(run: Run, name: string, change: AccessoryChange): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      for (const [title, act] of STEPS[change]) await run.session.step(`${title} accessory ${accessory.name}`, () => act(run, accessory));
    }
  });
}

/** `accessory upgrade NAME|all [--rolling]`: reboot on all hosts at once, or one host at a time. */
export async function upgradeAccessories(run: Run, name: string, options: { rolling?: boolean } = {}): Promise<void> {
  const accessories = accessoriesNamed(run, name);
  await withLock(run, async () => {
    for (const accessory of accessories) {
      const hosts = accessoryHosts(run, accessory);
      const groups = options.rolling ? hosts.map((h) => [h]) : [hosts];
      for (const group of groups) {
        await run.session.step(`Upgrade accessory ${accessory.name} on ${group.join(", ")}`, () => rebootAccessory(run, accessory, { hosts: group }));
      }
    }
  });
}

/** The one accessory `exec` and `logs` act on: `all` is refused. */
export function oneAccessory(run: Run, name: string, command: string): Accessory {
  const [accessory] = accessoriesNamed(run, name);
  if (name === "all") throw new UsageError(`accessory ${command} needs one accessory's name, not \`all\``);
  return accessory!;
}

function firstHost(run: Run, accessory: Accessory): string {
  const host = accessoryHosts(run, accessory)[0];
  if (!host) throw new UsageError(`accessory ${accessory.name} has no selected host`);
  return host;
}

/** `accessory exec -i`: the command in a new container (or the running one with `reuse`), through `ssh -t`. */
export function execAccessoryInteractive(run: Run, accessory: Accessory, command: string, options: { reuse?: boolean } = {}): Promise<number> {
  const host = firstHost(run, accessory);
  const a = accessoryCommands(run.config, accessory);
  const tty = stdinIsTty();
  const argv = options.reuse ? a.execInExisting(command, { interactive: true, tty }) : a.execInNew(command, { interactive: true, tty });
  return runInteractive(run, host, argv);
}

/** `accessory logs -f`: follow the log on the accessory's first host, through `ssh -t`. */
export function followAccessoryLogs(run: Run, accessory: Accessory, options: Pick<AccessoryLogsOptions, "grep" | "grepOptions" | "timestamps" | "lines">): Promise<number> {
  const host = firstHost(run, accessory);
  return runInteractive(run, host, accessoryCommands(run.config, accessory).followLogs(options));
}
