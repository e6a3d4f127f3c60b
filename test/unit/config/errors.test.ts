/** Invalid configs are rejected with file:line:col, the key path, the problem and a hint. */
import { describe, expect, test } from "bun:test";
import { formatProblem } from "../../../src/config/index.ts";
import { BASE, load, loadError } from "./helpers.ts";

function only(yaml: string, options = {}) {
  const error = loadError(yaml, options);
  expect(error.problems.length).toBe(1);
  return error.problems[0]!;
}

describe("unknown keys at every level", () => {
  const cases: [string, string, string, number, string | undefined][] = [
    ["root", `${BASE}servers2: x\n`, "servers2", 10, "did you mean `servers`?"],
    ["role", BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  web:\n    hots:\n      - 1.1.1.1"), "servers/web/hots", 5, "did you mean `hosts`?"],
    ["proxy", `${BASE}proxy:\n  hosst: a.example.com\n`, "proxy/hosst", 11, "did you mean `host`?"],
    ["proxy/run", `${BASE}proxy:\n  run:\n    debugg: true\n`, "proxy/run/debugg", 12, "did you mean `debug`?"],
    ["builder", `${BASE.replace("builder:\n  arch: amd64\n", "")}builder:\n  arch: amd64\n  dockrfile: D\n`, "builder/dockrfile", 10, "did you mean `dockerfile`?"],
    ["registry", BASE.replace("  password: pw\n", "  passwd: pw\n  password: pw\n"), "registry/passwd", 7, undefined],
    ["env", `${BASE}env:\n  clear:\n    A: b\n  secrets: [X]\n`, "env/secrets", 13, "did you mean `secret`?"],
    ["accessory", `${BASE}accessories:\n  db:\n    image: mysql\n    host: 1.1.1.1\n    prot: 3306\n`, "accessories/db/prot", 14, "did you mean `port`?"],
    ["ssh", `${BASE}ssh:\n  usr: app\n`, "ssh/usr", 11, "did you mean `user`?"],
    ["sshkit", `${BASE}sshkit:\n  max_concurrent_start: 3\n`, "sshkit/max_concurrent_start", 11, "did you mean `max_concurrent_starts`?"],
    ["boot", `${BASE}boot:\n  limt: 2\n`, "boot/limt", 11, "did you mean `limit`?"],
    ["logging", `${BASE}logging:\n  drivr: json-file\n`, "logging/drivr", 11, "did you mean `driver`?"],
    ["output", `${BASE}output:\n  otel:\n    endpont: http://x\n`, "output/otel/endpont", 12, "did you mean `endpoint`?"],
    ["healthcheck", `${BASE}proxy:\n  healthcheck:\n    pth: /up\n`, "proxy/healthcheck/pth", 12, "did you mean `path`?"],
  ];
  for (const [level, yaml, path, line, hint] of cases) {
    test(level, () => {
      const problem = only(yaml);
      expect(problem.path).toBe(path);
      expect(problem.message).toBe("unknown key");
      expect(problem.at?.file).toBe("config/deploy.yml");
      expect(problem.at?.line).toBe(line);
      if (hint) expect(problem.hint).toBe(hint);
      else expect(problem.hint).toBeString();
    });
  }
  test("x- keys are extensions only at the top level", () => {
    expect(() => load(`x-common: &c\n  a: 1\n${BASE}`)).not.toThrow();
    const problem = only(`${BASE}env:\n  x-foo: 1\n  clear: {}\n`);
    expect(problem.path).toBe("env/x-foo");
    expect(problem.hint).toContain("top level");
  });
  test("several unknown keys are all reported, each with its line", () => {
    const error = loadError(`${BASE}foo: 1\nbar: 2\nssh:\n  baz: 3\n`);
    expect(error.problems.map((p) => [p.path, p.at?.line])).toEqual([
      ["foo", 10],
      ["bar", 11],
      ["ssh/baz", 13],
    ]);
    expect(error.message).toStartWith("3 problems in the configuration:\n");
  });
});

describe("wrong types", () => {
  const cases: [string, string, string, string][] = [
    ["integer key given a word", `${BASE}retain_containers: lots\n`, "retain_containers", 'should be an integer, got "lots"'],
    ["integer key given a quoted number", `${BASE}deploy_timeout: "30"\n`, "deploy_timeout", 'should be an integer, got "30"'],
    ["boolean key given a string", `${BASE}require_destination: "maybe"\n`, "require_destination", 'should be a boolean (true or false), got "maybe"'],
    ["boot.limit: lots", `${BASE}boot:\n  limit: lots\n`, "boot/limit", 'should be a number of hosts or a percentage, got "lots"'],
    ["hash given a string", `${BASE}ssh: root\n`, "ssh", 'should be a hash, got "root"'],
    ["array given a string", `${BASE}volumes: /data:/data\n`, "volumes", 'should be an array, got "/data:/data"'],
    ["array element", `${BASE}volumes:\n  - [a]\n`, "volumes/0", "should be a string, got an array"],
    ["servers given a number", BASE.replace("servers:\n  - 1.1.1.1", "servers: 3"), "servers", "should be an array or a hash, got 3"],
    ["host entry with two hosts", BASE.replace("  - 1.1.1.1", "  - 1.1.1.1: a\n    1.1.1.2: b"), "servers/0", "multiple hosts found"],
    ["role proxy", BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy: yes please"), "servers/web/proxy", 'should be a boolean or a hash, got "yes please"'],
    ["root proxy boolean", `${BASE}proxy: true\n`, "proxy", "should be a hash, got true"],
    [
      "restart policy",
      BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  web:\n    hosts: [1.1.1.1]\n    options:\n      restart: sometimes"),
      "servers/web/options/restart",
      "should be no, always, unless-stopped, on-failure, or on-failure:N",
    ],
    ["registry password list", BASE.replace("password: pw", "password: [A, B]"), "registry/password", "should be a string or an array with one string (for secret lookup)"],
    ["empty value", `${BASE}primary_role:\n`, "primary_role", "should be a string, got nothing (the value is empty)"],
    ["arch", BASE.replace("arch: amd64", "arch: {a: 1}"), "builder/arch", "should be an array or a string, got a hash"],
  ];
  for (const [name, yaml, path, message] of cases) {
    test(name, () => {
      const problem = only(yaml);
      expect(problem.path).toBe(path);
      expect(problem.message).toBe(message);
      expect(problem.at?.line).toBeGreaterThan(0);
    });
  }
  test("the expected type comes with an example", () => {
    expect(only(`${BASE}readiness_delay: soon\n`).hint).toBe("seconds, e.g. readiness_delay: 4");
  });
});

describe("conflicting, missing and semantic problems", () => {
  const cases: [string, string, string][] = [
    ["host and hosts", `${BASE}proxy:\n  host: a\n  hosts: [b]\n`, "Specify one of 'host' or 'hosts', not both"],
    ["ssl without host", `${BASE}proxy:\n  ssl: true\n`, "Must set a host to enable automatic SSL"],
    [
      "ssl on two hosts",
      BASE.replace("  - 1.1.1.1", "  - 1.1.1.1\n  - 1.1.1.2") + "proxy:\n  ssl: true\n  host: a.example.com\n",
      "SSL is only supported on a single server unless you provide custom certificates, found 2 servers for role web",
    ],
    ["half a certificate", `${BASE}proxy:\n  host: a\n  ssl:\n    certificate_pem: CERT\n`, "Missing private_key_pem setting (required when certificate_pem is present)"],
    ["publish false with ports", `${BASE}proxy:\n  run:\n    publish: false\n    http_port: 8080\n`, "Cannot set http_port, https_port or bind_ips when publish is false"],
    ["bad bind ip", `${BASE}proxy:\n  run:\n    bind_ips: [1.2.3]\n`, "Invalid publish IP address: 1.2.3"],
    ["missing service", BASE.replace("service: app\n", ""), "Missing required configuration for service"],
    ["missing image", BASE.replace("image: dhh/app\n", ""), "Missing required configuration for image"],
    ["missing registry", BASE.replace("registry:\n  username: user\n  password: pw\n", ""), "Missing required configuration for registry"],
    ["missing registry password", BASE.replace("  password: pw\n", ""), "is required"],
    ["missing servers", BASE.replace("servers:\n  - 1.1.1.1\n", ""), "No servers or accessories specified"],
    ["missing arch", BASE.replace("builder:\n  arch: amd64\n", ""), "Builder arch not set"],
    ["unknown arch", BASE.replace("arch: amd64", "arch: x86"), 'unsupported arch "x86"'],
    ["undefined primary role", BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  workers: [1.1.1.1]"), "The primary_role web isn't defined"],
    ["empty role", BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  web: [1.1.1.1]\n  jobs: []"), "No servers specified for the jobs role. You can ignore this with allow_empty_roles: true"],
    ["retain", `${BASE}retain_containers: 0\n`, "Must retain at least 1 container"],
    ["service name", BASE.replace("service: app", "service: my app"), "Service name can only include alphanumeric characters, hyphens, and underscores"],
    ["minimum version", `${BASE}minimum_version: 9.0.0\n`, "Current version is 2.12.0, minimum required is 9.0.0"],
    ["require destination", `${BASE}require_destination: true\n`, "You must specify a destination"],
    ["accessory without image", `${BASE}accessories:\n  db:\n    host: 1.1.1.1\n`, "image is required"],
    ["accessory without hosts", `${BASE}accessories:\n  db:\n    image: mysql\n`, "specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`"],
    ["accessory unknown role", `${BASE}accessories:\n  db:\n    image: mysql\n    roles: [db]\n`, "unknown roles db"],
    ["reserved label", `${BASE}accessories:\n  db:\n    image: mysql\n    host: 1.1.1.1\n    labels:\n      service: x\n`, "invalid label. destination, role, and service are reserved labels"],
    ["tags in role env", BASE.replace("servers:\n  - 1.1.1.1", "servers:\n  web:\n    hosts: [1.1.1.1]\n    env:\n      tags: {}"), "tags are only allowed in the root env"],
    ["hooks_output", `${BASE}hooks_output: loud\n`, "Invalid hooks_output 'loud', must be one of: quiet, verbose"],
    ["alias name", `${BASE}aliases:\n  deploy: app details\n`, "Alias 'deploy' conflicts with a built-in command."],
    ["cache type", BASE.replace("arch: amd64", "arch: amd64\n  cache:\n    type: s3"), "Invalid cache type: s3"],
    ["local false", BASE.replace("arch: amd64", "arch: amd64\n  local: false"), "Cannot disable local builds, no remote is set"],
    [
      "local registry remote builder",
      BASE.replace("registry:\n  username: user\n  password: pw", "registry:\n  server: localhost:5000").replace("arch: amd64", "arch: amd64\n  remote: tcp://1.2.3.4"),
      "Local registry with remote builder requires an SSH URL (e.g., ssh://user@host)",
    ],
    ["ssh port", `${BASE}ssh:\n  port: twenty-two\n`, 'should be a port number, got "twenty-two"'],
    ["duplicate keys", `${BASE}service: other\n`, "duplicate key `service` (also at line 1); YAML would silently keep only the last one"],
  ];
  for (const [name, yaml, message] of cases) {
    test(name, () => {
      const error = loadError(yaml);
      expect(error.problems.map((p) => p.message)).toContain(message);
      for (const p of error.problems) expect(p.at?.file).toBe("config/deploy.yml");
    });
  }
  test("a missing config file says where it looked and what to do", () => {
    const error = loadError(BASE, { configFile: "config/other.yml" });
    expect(error.problems[0]!.message).toBe("Configuration file not found in config/other.yml");
    expect(error.problems[0]!.hint).toContain("-c/--config-file");
  });
});

describe("YAML syntax and ERB errors name the line and column", () => {
  test("bad indentation", () => {
    const problem = loadError("service: app\n  image: x\n").problems[0]!;
    expect(problem.message).toStartWith("YAML syntax error:");
    expect(problem.at).toEqual({ file: "config/deploy.yml", line: 1, col: 10 });
    expect(problem.hint).toContain("indentation");
  });
  test("unclosed quote", () => {
    const error = loadError(`${BASE}env:\n  A: "oops\n`);
    expect(error.problems[0]!.at?.line).toBeGreaterThanOrEqual(11);
    expect(error.problems[0]!.message).toStartWith("YAML syntax error:");
  });
  test("tabs", () => {
    const problem = loadError("service: app\nservers:\n\t- 1.1.1.1\n").problems[0]!;
    expect(problem.at?.line).toBe(3);
  });
  test("ERB beyond the supported forms", () => {
    for (const [yaml, line] of [
      [`${BASE}image2: <%= \`whoami\` %>\n`, 10],
      [`${BASE}<% if true %>\nfoo: 1\n<% end %>\n`, 10],
      [`service: app\nimage: <%= File.read("x") %>\n`, 2],
      [`service: app\nimage: <%= %x(aws ecr get-login-password) %>\n`, 2],
      [`service: app\nimage: <%= ENV["A"].upcase %>\n`, 2],
    ] as const) {
      const problem = loadError(yaml).problems[0]!;
      expect(problem.message).toStartWith("ERB: ");
      expect(problem.at?.line).toBe(line);
      expect(problem.hint).toContain("ENV.fetch");
    }
  });
  test("ENV.fetch of a missing variable", () => {
    const problem = loadError(`${BASE}env:\n  A: <%= ENV.fetch("NOPE") %>\n`).problems[0]!;
    expect(problem.message).toBe('ERB: environment variable NOPE is not set (ENV.fetch("NOPE") has no default)');
    expect(problem.at?.line).toBe(11);
  });
  test("positions stay right after trimmed ERB lines", () => {
    const problem = loadError(`<%# comment -%>\n<%- -%>\n${BASE}retain_containers: x\n`).problems[0]!;
    expect(problem.at?.line).toBe(12);
  });
  test("destination files report their own name and line", () => {
    const problem = loadError(BASE, { destination: "staging", files: { "config/deploy.staging.yml": "env:\n  clear:\n    A: [1]\n" } }).problems[0]!;
    expect(formatProblem(problem)).toBe("config/deploy.staging.yml:3:5: env/clear/A: should be a string, got an array\n    hint: env values are strings; secrets go under `secret:`");
  });
});

describe("keys in the wrong section", () => {
  test("a proxy key at the top level says where it belongs", () => {
    const problem = only(`${BASE}app_port: 3000\n`);
    expect(problem.path).toBe("app_port");
    expect(problem.hint).toBe("`app_port` is a proxy setting: put it under `proxy:`");
  });
  test("plain variables mixed with clear/secret", () => {
    expect(only(`${BASE}env:\n  clear:\n    A: 1\n  DATABASE_URL: x\n`).hint).toBe("move DATABASE_URL under `clear:` (plain variables can't be mixed with clear/secret)");
  });
});
