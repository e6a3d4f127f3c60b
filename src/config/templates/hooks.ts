/** Sample hooks written by `sextant init` into .kamal/hooks (rename to drop `.sample`). */

const HEADER = `#!/usr/bin/env sh
# Hooks run on this machine, with these variables set:
#   KAMAL_RECORDED_AT, KAMAL_PERFORMER, KAMAL_VERSION, KAMAL_HOSTS, KAMAL_COMMAND,
#   KAMAL_SUBCOMMAND, KAMAL_DESTINATION, KAMAL_ROLES (when -r is given)
# A non-zero exit status stops the command.
`;

function hook(purpose: string, body: string): string {
  return `${HEADER}#\n# ${purpose}\n\n${body}\n`;
}

export const HOOK_TEMPLATES: Record<string, string> = {
  "docker-setup": hook("Runs after Docker was installed on new servers by `setup`.", 'echo "Docker set up on $KAMAL_HOSTS"'),
  "pre-connect": hook("Runs before the first SSH connection (e.g. to warm DNS or open a VPN).", 'echo "Connecting to $KAMAL_HOSTS"'),
  "pre-build": hook(
    "Runs before the image is built. A common check: refuse to build with uncommitted changes.",
    'if [ -n "$(git status --porcelain)" ]; then\n  echo "Commit or stash your changes before deploying" >&2\n  exit 1\nfi',
  ),
  "pre-deploy": hook("Runs before the new version is booted (e.g. to wait for CI to pass).", 'echo "Deploying $KAMAL_VERSION to $KAMAL_HOSTS"'),
  "post-deploy": hook("Runs after a deploy, redeploy or rollback (e.g. to notify a chat room).", 'echo "$KAMAL_PERFORMER deployed $KAMAL_VERSION to $KAMAL_DESTINATION in $KAMAL_RUNTIME seconds"'),
  "pre-app-boot": hook("Runs before each group of hosts boots the new version.", 'echo "Booting $KAMAL_VERSION on $KAMAL_HOSTS"'),
  "post-app-boot": hook("Runs after each group of hosts booted the new version.", 'echo "Booted $KAMAL_VERSION on $KAMAL_HOSTS"'),
  "pre-proxy-reboot": hook("Runs before kamal-proxy is rebooted on a host.", 'echo "Rebooting kamal-proxy on $KAMAL_HOSTS"'),
  "post-proxy-reboot": hook("Runs after kamal-proxy was rebooted on a host.", 'echo "Rebooted kamal-proxy on $KAMAL_HOSTS"'),
};
