/** The `config/deploy.yml` written by `sextant init`. It loads as is (local registry, one host). */
export const DEPLOY_TEMPLATE = `# sextant / Kamal deploy configuration.
# Check it with \`sextant config\`; every key is described in Kamal's configuration docs.

# Name of the app: used for container names and labels (letters, digits, - and _).
service: my-app

# Image name. Pushed to the registry below as <server>/<image>:<version>.
image: my-user/my-app

# Servers to deploy to. A plain list is the \`web\` role; use a hash for several roles:
servers:
  web:
    - 192.168.0.1
  # job:
  #   hosts:
  #     - 192.168.0.1
  #   cmd: bin/jobs

# kamal-proxy routes requests to the app and switches versions without downtime.
# With ssl: true it fetches a Let's Encrypt certificate (one server per role, host required).
proxy:
  ssl: true
  host: app.example.com
  # app_port: 3000
  # healthcheck:
  #   path: /up

# Where images are stored. localhost:PORT runs a registry on this machine and tunnels it to the
# servers, so no account is needed. For Docker Hub or another registry:
#   registry:
#     server: ghcr.io
#     username: my-user
#     password:
#       - KAMAL_REGISTRY_PASSWORD      # a secret from .kamal/secrets
registry:
  server: localhost:5555

# Environment of the app containers. Clear values are passed on the command line; secret
# names are read from .kamal/secrets and written to an env file on each server.
# env:
#   clear:
#     DB_HOST: 192.168.0.2
#   secret:
#     - RAILS_MASTER_KEY

# Shortcuts: \`sextant console\` runs \`sextant app exec --interactive --reuse "bin/rails console"\`.
# aliases:
#   console: app exec --interactive --reuse "bin/rails console"
#   logs: app logs -f

# Persistent storage mounted into the app containers.
# volumes:
#   - "app_storage:/rails/storage"

# Serve previous and current assets during a deploy (path inside the image).
# asset_path: /rails/public/assets

# How the image is built. arch is required (amd64 and/or arm64).
builder:
  arch: amd64
  # remote: ssh://docker@docker-builder-server
  # args:
  #   RUBY_VERSION: 3.3.0
  # secrets:
  #   - GITHUB_TOKEN

# SSH user and port (default root on 22).
# ssh:
#   user: app
#   port: 22

# Services next to the app, managed with \`sextant accessory\`.
# accessories:
#   db:
#     image: mysql:8.0
#     host: 192.168.0.2
#     port: "127.0.0.1:3306:3306"
#     env:
#       clear:
#         MYSQL_ROOT_HOST: "%"
#       secret:
#         - MYSQL_ROOT_PASSWORD
#     directories:
#       - data:/var/lib/mysql
`;
