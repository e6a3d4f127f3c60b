/** `proxy` (root, role, accessory): how kamal-proxy routes to the app, and `run` for the proxy container. */
import { type AnySchema, anyHash, arrayOf, bool, hash, int, oneOf, str } from "./common.ts";

function proxyRunSchema(): AnySchema {
  return hash({
    http_port: int("e.g. http_port: 8080"),
    https_port: int("e.g. https_port: 8443"),
    metrics_port: int("e.g. metrics_port: 9090"),
    debug: bool(),
    log_max_size: str('e.g. log_max_size: "30m"'),
    publish: bool(),
    bind_ips: arrayOf(str(), "e.g. bind_ips: [ 0.0.0.0 ]"),
    registry: str(),
    repository: str(),
    version: str(),
    options: anyHash("e.g. options: { memory: 512m }"),
    http3: bool(),
  });
}

export function proxySchema(): AnySchema {
  return hash(
    {
      host: str("e.g. host: app.example.com"),
      hosts: arrayOf(str(), "e.g. hosts: [ app.example.com, www.example.com ]"),
      app_port: int("e.g. app_port: 3000"),
      ssl: oneOf(
        { boolean: bool(), hash: hash({ certificate_pem: str(), private_key_pem: str() }) },
        "should be a boolean or a hash\u0000e.g. ssl: true, or ssl: { certificate_pem: CERTIFICATE_PEM, private_key_pem: PRIVATE_KEY_PEM }",
      ),
      ssl_redirect: bool(),
      forward_headers: bool(),
      response_timeout: int("seconds, e.g. response_timeout: 10"),
      path_prefix: str('e.g. path_prefix: "/api"'),
      path_prefixes: arrayOf(str(), 'e.g. path_prefixes: [ "/api", "/oauth_callback" ]'),
      strip_path_prefix: bool(),
      healthcheck: hash({
        interval: int("seconds, e.g. interval: 3"),
        path: str("e.g. path: /up"),
        timeout: int("seconds, e.g. timeout: 3"),
        port: int("e.g. port: 3001 (when the app answers health checks on another port)"),
      }),
      client_ip_header: str("e.g. client_ip_header: True-Client-IP"),
      canonical_host: str("e.g. canonical_host: www.example.com"),
      exclude_metrics_paths: arrayOf(str(), 'e.g. exclude_metrics_paths: [ "/up" ]'),
      tls_on_demand_url: str("e.g. tls_on_demand_url: /tls/allowed"),
      basic_auth: hash({ username: str("a secret name or the user name"), password: str("the name of a secret in .kamal/secrets") }),
      buffering: hash({
        requests: bool(),
        responses: bool(),
        max_request_body: int("bytes, e.g. max_request_body: 40_000_000"),
        max_response_body: int("bytes, e.g. max_response_body: 0"),
        memory: int("bytes, e.g. memory: 2_000_000"),
      }),
      logging: hash({ request_headers: arrayOf(str()), response_headers: arrayOf(str()) }),
      run: proxyRunSchema(),
    },
    "e.g. proxy: { host: app.example.com, app_port: 3000 }",
  );
}
