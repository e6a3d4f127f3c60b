import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../../src/config/index.ts";
import { resolveVersion } from "../../../src/config/version.ts";
import { BASE, load, project, removeProject } from "./helpers.ts";

const roles = (body: string) => BASE.replace("servers:\n  - 1.1.1.1\n", `servers:\n${body}`);

describe("roles", () => {
  test("labels: defaults, root labels, role labels; no destination leaves the label empty", () => {
    const config = load(`${roles("  web:\n    hosts: [1.1.1.1]\n    labels:\n      tier: front\n")}labels:\n  team: a\n  tier: any\n`);
    const web = config.role("web")!;
    expect(web.labels).toEqual({ service: "app", role: "web", destination: undefined, team: "a", tier: "front" });
    expect(web.labelArgs).toEqual(["--label", 'service="app"', "--label", 'role="web"', "--label", "destination", "--label", 'team="a"', "--label", 'tier="front"']);
  });
  test("options: restart is split off; args are optionized", () => {
    const web = load(roles("  web:\n    hosts: [1.1.1.1]\n    options:\n      restart: on-failure:3\n      memory: 2g\n      init: true\n      add-host: [a:1, b:2]\n")).role("web")!;
    expect(web.restart).toBe("on-failure:3");
    expect(web.options).toEqual({ memory: "2g", init: true, "add-host": ["a:1", "b:2"] });
    expect(web.optionArgs).toEqual(["--memory", '"2g"', "--init", "--add-host", '"a:1"', "--add-host", '"b:2"']);
    expect(load(BASE).role("web")!.restart).toBe("unless-stopped");
  });
  test("logging: role merged over root", () => {
    const config = load(`${roles("  web:\n    hosts: [1.1.1.1]\n    logging:\n      options:\n        max-size: 1g\n  jobs: [1.1.1.2]\n")}logging:\n  driver: json-file\n  options:\n    max-file: 3\n`);
    expect(config.role("web")!.logging.args).toEqual(["--log-driver", '"json-file"', "--log-opt", 'max-file="3"', "--log-opt", 'max-size="1g"']);
    expect(config.role("jobs")!.logging.args).toEqual(["--log-driver", '"json-file"', "--log-opt", 'max-file="3"']);
    expect(load(BASE).loggingArgs).toEqual(["--log-opt", 'max-size="10m"']);
  });
  test("stop timeout: role, else root, else drain timeout for non-proxy roles", () => {
    const config = load(`${roles("  web: [1.1.1.1]\n  jobs: [1.1.1.2]\n  mail:\n    hosts: [1.1.1.3]\n    stop_timeout: 5\n")}drain_timeout: 12\n`);
    expect(config.role("web")!.stopTimeout).toBeUndefined();
    expect(config.role("jobs")!.stopTimeout).toBe(12);
    expect(config.role("mail")!.stopTimeout).toBe(5);
    expect(load(`${BASE}stop_timeout: 9\n`).role("web")!.stopTimeout).toBe(9);
  });
  test("proxy: root proxy inherited with `proxy: true`, merged with a hash, off with false", () => {
    const config = load(
      `${roles("  web: [1.1.1.1]\n  api:\n    hosts: [1.1.1.2]\n    proxy:\n      host: api.example.com\n  admin:\n    hosts: [1.1.1.3]\n    proxy: true\n  jobs: [1.1.1.4]\n")}proxy:\n  host: app.example.com\n  app_port: 3000\n  healthcheck:\n    path: /health\n`,
    );
    expect(config.role("web")!.proxy?.hosts).toEqual(["app.example.com"]);
    expect(config.role("api")!.proxy?.hosts).toEqual(["api.example.com"]);
    expect(config.role("api")!.proxy?.appPort).toBe(3000);
    expect(config.role("api")!.proxy?.healthcheck.path).toBe("/health");
    expect(config.role("admin")!.proxy?.hosts).toEqual(["app.example.com"]);
    expect(config.role("jobs")!.runningProxy).toBe(false);
    expect(config.role("web")!.proxy?.logging.requestHeaders).toEqual(["Cache-Control", "Last-Modified", "User-Agent"]);
    expect(config.role("web")!.proxy?.buffering).toEqual({ requests: true, responses: true, memory: undefined, maxRequestBody: undefined, maxResponseBody: undefined });
    // Roles are sorted by name (admin, api, jobs, web), hosts follow that order.
    expect(config.proxyHosts).toEqual(["1.1.1.3", "1.1.1.2", "1.1.1.1"]);
  });
  test("asset bridging only on proxy roles", () => {
    const config = load(`${roles("  web: [1.1.1.1]\n  jobs: [1.1.1.2]\n")}asset_path: /rails/public/assets\n`);
    expect(config.role("web")!.assets).toBe(true);
    expect(config.role("jobs")!.assets).toBe(false);
    expect(config.role("web")!.assetVolumeDirectory()).toBe(".kamal/apps/app/assets/volumes/web-123");
  });
  test("a host listed twice in a role appears once, with its last tags", () => {
    const web = load(roles("  web:\n    - 1.1.1.1: a\n    - 1.1.1.1: b\n")).role("web")!;
    expect(web.hosts).toEqual(["1.1.1.1"]);
    expect(web.hostTags).toEqual({ "1.1.1.1": ["b"] });
  });
});

describe("accessories", () => {
  test("hosts from tags and roles; files, directories and volumes", () => {
    const config = load(`${roles("  web:\n    - 1.1.1.1: db\n    - 1.1.1.2\n  jobs:\n    - 1.1.1.3: [db, x]\n")}accessories:
  db:
    image: mysql:8
    tag: db
    port: 127.0.0.1:3306:3306
    options:
      restart: always
    files:
      - config/my.cnf:/etc/mysql/my.cnf:ro
      - local: config/init.sql.erb
        remote: /docker-entrypoint-initdb.d/init.sql
        mode: "0600"
    directories:
      - data:/var/lib/mysql
      - /srv/logs:/var/log/mysql
    volumes:
      - /tmp:/tmp
  cache:
    image: redis
    role: jobs
    network: other
`);
    const db = config.accessory("db")!;
    expect(db.hosts).toEqual(["1.1.1.1", "1.1.1.3"]);
    expect(db.port).toBe("127.0.0.1:3306:3306");
    expect(db.restart).toBe("always");
    expect(db.files.map((f) => [f.hostPath, f.remote, f.mode, f.options, f.erb])).toEqual([
      ["app-db/etc/mysql/my.cnf", "/etc/mysql/my.cnf", "755", "ro", false],
      ["app-db/docker-entrypoint-initdb.d/init.sql", "/docker-entrypoint-initdb.d/init.sql", "0600", undefined, true],
    ]);
    expect(db.volumes).toEqual([
      "/tmp:/tmp",
      "$PWD/app-db/etc/mysql/my.cnf:/etc/mysql/my.cnf:ro",
      "$PWD/app-db/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql",
      "$PWD/app-db/data:/var/lib/mysql",
      "/srv/logs:/var/log/mysql",
    ]);
    expect(db.envFile).toBe(".kamal/apps/app/env/accessories/db.env");
    expect(config.accessory("cache")!.hosts).toEqual(["1.1.1.3"]);
    expect(config.accessory("cache")!.network).toBe("other");
    expect(config.allHosts).toEqual(["1.1.1.3", "1.1.1.1", "1.1.1.2"]);
  });
  test("accessory-only configs are valid", () => {
    const config = load(`${BASE.replace("servers:\n  - 1.1.1.1\n", "")}accessories:\n  db:\n    image: mysql\n    host: 1.1.1.9\n`);
    expect(config.roles).toEqual([]);
    expect(config.allHosts).toEqual(["1.1.1.9"]);
    expect(config.primaryHost).toBeUndefined();
  });
});

describe("other sections", () => {
  test("boot limit as a host count (percent of all hosts, floor, at least 1)", () => {
    const four = roles("  web: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4]\n");
    expect(load(`${four}boot:\n  limit: 50%\n  wait: 2\n`).boot).toEqual({ limit: 2, wait: 2, parallelRoles: false });
    expect(load(`${four}boot:\n  limit: 10%\n`).boot.limit).toBe(1);
    expect(load(BASE).boot.limit).toBeUndefined();
  });
  test("ssh: defaults, jump host, port as text", () => {
    expect(load(BASE).ssh).toMatchObject({ user: "root", port: 22, logLevel: "fatal", config: true, keepalive: true, keepaliveInterval: 30 });
    const ssh = load(`${BASE}ssh:\n  user: app\n  port: "2222"\n  proxy: bastion\n  log_level: :debug\n  keys: [~/.ssh/a]\n  config: false\n`).ssh;
    expect(ssh).toMatchObject({ user: "app", port: 2222, proxy: { jump: "root@bastion" }, logLevel: "debug", keys: ["~/.ssh/a"], config: false });
    expect(load(`${BASE}ssh:\n  proxy_command: ssh -W %h:%p x\n`).ssh.proxy).toEqual({ command: "ssh -W %h:%p x" });
  });
  test("sshkit defaults", () => {
    expect(load(BASE).sshkit).toMatchObject({ maxConcurrentStarts: 30, poolIdleTimeout: 900, dnsRetries: 3 });
  });
  test("root scalars and their defaults", () => {
    const c = load(BASE);
    expect([c.retainContainers, c.readinessDelay, c.deployTimeout, c.drainTimeout, c.hooksPath, c.secretsPath, c.runDirectory, c.primaryRoleName]).toEqual([
      5,
      7,
      30,
      30,
      ".kamal/hooks",
      ".kamal/secrets",
      ".kamal",
      "web",
    ]);
    const d = load(`${BASE}retain_containers: 2\nreadiness_delay: 1\ndeploy_timeout: 3\ndrain_timeout: 4\nhooks_path: hooks\nhooks_output:\n  pre-deploy: :quiet\nrun_directory: /x\n`);
    expect([d.retainContainers, d.readinessDelay, d.deployTimeout, d.drainTimeout, d.hooksPath, d.runDirectory]).toEqual([2, 1, 3, 4, "hooks", ".kamal"]);
    expect(d.hooksOutput).toEqual({ hooks: { "pre-deploy": "quiet" } });
  });
  test("registry: credentials literal or secret; Docker Hub has no server", () => {
    const c = load(BASE.replace("password: pw", "password:\n    - REGISTRY_PASSWORD"));
    expect(c.registry.server).toBeUndefined();
    expect(c.registry.password).toEqual({ secret: "REGISTRY_PASSWORD" });
    expect(c.repository).toBe("dhh/app");
  });
  test("local registry: image defaults to the service", () => {
    const c = load(BASE.replace("image: dhh/app\n", "").replace("registry:\n  username: user\n  password: pw", "registry:\n  server: localhost:5555"));
    expect(c.image).toBe("app");
    expect(c.absoluteImage).toBe("localhost:5555/app:123");
  });
  test("volumes", () => {
    expect(load(`${BASE}volumes:\n  - /data:/data\n  - cache:/cache\n`).volumeArgs).toEqual(["--volume", "/data:/data", "--volume", "cache:/cache"]);
  });
  test("destination ERB sees KAMAL_DESTINATION", () => {
    const c = load(`${BASE}env:\n  STAGE: <%= ENV["KAMAL_DESTINATION"] || "none" %>\n`, { destination: "beta", files: { "config/deploy.beta.yml": "retain_containers: 2\n" } });
    expect(c.role("web")!.env("1.1.1.1").clear).toEqual({ STAGE: "beta" });
    expect(c.retainContainers).toBe(2);
  });
  test("destination files deep-merge hashes and replace arrays", () => {
    const c = load(`${BASE}env:\n  clear:\n    A: 1\n    B: 2\nvolumes: [a:/a, b:/b]\n`, {
      destination: "s",
      files: { "config/deploy.s.yml": "servers: [2.2.2.2]\nenv:\n  clear:\n    B: 3\nvolumes: [c:/c]\n" },
    });
    expect(c.allHosts).toEqual(["2.2.2.2"]);
    expect(c.env.clear).toEqual({ A: "1", B: "3" });
    expect(c.volumes).toEqual(["c:/c"]);
  });
});

describe("version", () => {
  const git =
    (head: string | undefined, status = "") =>
    (args: string[]) =>
      args[0] === "rev-parse" ? (head ? `${head}\n` : undefined) : status;
  test("--version > VERSION > git", () => {
    expect(resolveVersion({ declared: "v1", env: { VERSION: "v2" }, cwd: "/", gitClone: true, git: git("abc") })).toBe("v1");
    expect(resolveVersion({ env: { VERSION: "v2" }, cwd: "/", gitClone: true, git: git("abc") })).toBe("v2");
    expect(resolveVersion({ env: {}, cwd: "/", gitClone: true, git: git("abc") })).toBe("abc");
  });
  test("uncommitted suffix only when building from the working directory", () => {
    expect(resolveVersion({ env: {}, cwd: "/", gitClone: true, git: git("abc", " M x") })).toBe("abc");
    expect(resolveVersion({ env: {}, cwd: "/", gitClone: false, git: git("abc", " M x") })).toMatch(/^abc_uncommitted_[0-9a-f]{16}$/);
    expect(resolveVersion({ env: {}, cwd: "/", gitClone: false, git: git("abc", "") })).toBe("abc");
  });
  test("no git repository", () => {
    expect(() => resolveVersion({ env: {}, cwd: "/nowhere", gitClone: true, git: git(undefined) })).toThrow("Can't use commit hash as version, no git repository found in /nowhere");
  });
  test("the config resolves lazily and abbreviates", () => {
    const c = load(BASE, { version: undefined, env: { VERSION: "0123456789" } });
    expect(c.version).toBe("0123456789");
    expect(c.abbreviatedVersion).toBe("0123456");
    expect(load(BASE, { version: "abc_uncommitted_1" }).abbreviatedVersion).toBe("abc_uncommitted_1");
  });
});

describe("secret helpers", () => {
  test("ssh key_data from secrets or inline PEM; hook output levels", () => {
    const dir = project({
      "config/deploy.yml": `${BASE}ssh:\n  key_data: [SSH_KEY, "-----BEGIN OPENSSH PRIVATE KEY----- x"]\nhooks_output: verbose\n`,
      ".kamal/secrets": "SSH_KEY=k1\n",
    });
    try {
      const c = loadConfig({ cwd: dir, env: {}, version: "1" });
      expect(c.sshKeyData().map((k) => k.reveal())).toEqual(["k1", "-----BEGIN OPENSSH PRIVATE KEY----- x"]);
      expect(String(c.sshKeyData()[1])).toBe("[REDACTED]");
      expect(c.secret("SSH_KEY").reveal()).toBe("k1");
      expect(c.hookOutput("pre-deploy")).toBe("verbose");
    } finally {
      removeProject(dir);
    }
  });
});
