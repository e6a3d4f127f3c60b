/**
 * What sextant adds to Kamal's configuration documentation: keys beyond Kamal 2.12 (named as in
 * Kamal's open pull requests where there is one), appended to their section by `sextant docs`.
 */
export const SEXTANT_ADDITIONS: Readonly<Record<string, string>> = {
  proxy: `
# Beyond Kamal 2.12 (sextant)
#
# kamal-proxy settings that Kamal 2.12 cannot switch on, with the key names of Kamal's open pull
# requests. Each is checked when the config loads.
proxy:

  # A CDN's client-address header (e.g. Cloudflare's True-Client-IP); its value replaces
  # X-Forwarded-For for the proxy's logs and the app:
  client_ip_header: True-Client-IP

  # Requests for the other hosts get a 301 to this one (it must be one of the hosts):
  canonical_host: www.example.com

  # Paths left out of the proxy's Prometheus metrics:
  exclude_metrics_paths:
    - /up

  # The port the app answers health checks on, when not app_port:
  healthcheck:
    port: 3001

  # On-demand TLS: with ssl: true and no host, the proxy asks this URL (or app path) whether a host
  # may have a certificate, and gets one on its first request:
  tls_on_demand_url: /tls/allowed

  run:
    # HTTP/3: kamal-proxy run --http3, with the HTTPS port published over UDP too (needs publish):
    http3: true

  # HTTP Basic authentication in front of the app (kamal-proxy's proposed --basic-auth). The
  # password is the name of a secret in .kamal/secrets; the username is a secret's name or the name
  # itself. The health check path stays open. Use it with ssl: the browser sends it on every request.
  basic_auth:
    username: staff
    password: BASIC_AUTH_PASSWORD
`,
  builder: `
# Beyond Kamal 2.12 (sextant)
builder:

  # How the image reaches the servers: registry (the default: push, then pull on each server) or
  # ssh. With ssh the image is built into the local Docker engine and no registry is used: each
  # server is asked which layers it already has, and receives only the others, streamed over its
  # SSH connection into \`docker load\`. The image gets its usual name:version tag only once it is
  # whole, so a cut connection leaves the running version serving; the next deploy sends what is
  # still missing. The \`registry\` section becomes optional (accessories still pull their images from
  # their registries). Servers lacking the same big layers get them over your uplink once: one
  # receives them and passes them on over the servers' network (SEXTANT_DELIVERY_PEERS=0: each from
  # you). One arch only; servers using Docker's containerd image store receive every
  # layer (layers can only be skipped with the classic store).
  delivery: ssh
`,
  role: `
# Beyond Kamal 2.12 (sextant)
servers:
  web:
    # Containers of this role on each host (default 1), all targets of the role's proxy service.
    # Replicas 2..N are named SERVICE-ROLE-VERSION_replica_N; they cannot publish ports.
    replicas: 3
`,
};
