/** The `.kamal/secrets` written by `sextant init`. */
export const SECRETS_TEMPLATE = `# Secrets for the deploy, read when a command needs them (dotenv syntax: KEY=value).
# Keep real values out of git: take them from the environment or from a password manager.
#
# From the environment of the shell that runs sextant:
# KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
#
# From a command (run locally, output used as the value):
# RAILS_MASTER_KEY=$(cat config/master.key)
#
# Literal values (single quotes: no $ substitution):
# WEBHOOK_TOKEN='not-so-secret'
#
# With destinations (-d staging) this file is replaced by .kamal/secrets.staging;
# .kamal/secrets-common is read in both cases.
`;
