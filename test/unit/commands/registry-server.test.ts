import { describe, expect, test } from "bun:test";
import * as registry from "../../../src/commands/registry.ts";
import * as server from "../../../src/commands/server.ts";
import { render } from "../../../src/commands/shell.ts";
import { Secret } from "../../../src/config/secrets.ts";
import { makeConfig } from "./_config.ts";

describe("registry", () => {
  test("login with a server", () => {
    const argv = registry.login({ server: "hub.docker.com", username: "dhh", password: "secret" });
    expect(render(argv)).toBe('docker login hub.docker.com -u "dhh" -p "secret"');
    expect(render(argv, { redact: true })).toBe("docker login hub.docker.com -u [REDACTED] -p [REDACTED]");
  });

  test("Docker Hub: no server argument; secrets revealed only in the real command", () => {
    const argv = registry.login({ username: "dhh", password: new Secret("KAMAL_REGISTRY_PASSWORD", "more-secret'\"") });
    expect(render(argv)).toBe('docker login -u "dhh" -p "more-secret\'\\""');
    expect(render(argv, { redact: true })).not.toContain("more-secret");
  });

  test("logout", () => {
    expect(render(registry.logout("hub.docker.com"))).toBe("docker logout hub.docker.com");
    expect(render(registry.logout())).toBe("docker logout");
  });

  test("local registry", () => {
    expect(render(registry.setupLocal(5555))).toBe("docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 --name kamal-docker-registry registry:3");
    expect(render(registry.removeLocal())).toBe("docker stop kamal-docker-registry && docker rm kamal-docker-registry");
  });
});

describe("server bootstrap", () => {
  test("docker checks and install", () => {
    expect(render(server.dockerInstalled())).toBe("docker -v");
    expect(render(server.ensureLocalDockerInstalled())).toBe("docker --version && docker buildx version");
    expect(render(server.superuser())).toBe('[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null');
    expect(render(server.installDocker())).toBe("sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo \"exit 1\"' | sh");
    expect(render(server.rootOrInDockerGroup())).toBe('[ "${EUID:-$(id -u)}" -eq 0 ] || id -nG "${USER:-$(id -un)}" | grep -qw docker');
    expect(render(server.addToDockerGroup())).toBe('sudo -n usermod -aG docker "${USER:-$(id -un)}"');
    expect(render(server.refreshSession())).toBe("kill -HUP $PPID");
  });

  test("app directories", () => {
    const config = makeConfig({}, { destination: "staging" });
    expect(render(server.ensureAppDirectory(config))).toBe("mkdir -p .kamal/apps/app-staging");
    expect(render(server.removeAppDirectory(config))).toBe("rm -r .kamal/apps/app-staging");
    expect(render(server.removeProxyAppDirectory(config))).toBe("rm -r .kamal/proxy/apps-config/app-staging");
    expect(render(server.appDirectoryCount(config))).toBe("ls .kamal/apps | wc -l");
  });
});

describe("ssh -t for interactive commands", () => {
  const ls = ["ls"];
  test("defaults, user, port", () => {
    expect(render(server.runOverSsh(makeConfig().ssh, "1.1.1.1", ls))).toBe("ssh -t root@1.1.1.1 -p 22 'ls'");
    expect(render(server.runOverSsh(makeConfig({ ssh: { user: "app", port: 2222 } }).ssh, "1.1.1.1", ls))).toBe("ssh -t app@1.1.1.1 -p 2222 'ls'");
  });
  test("jump host, proxy command, keys, config files", () => {
    expect(render(server.runOverSsh(makeConfig({ ssh: { proxy: "2.2.2.2" } }).ssh, "1.1.1.1", ls))).toBe("ssh -J root@2.2.2.2 -t root@1.1.1.1 -p 22 'ls'");
    expect(render(server.runOverSsh(makeConfig({ ssh: { proxy_command: "ssh -W %h:%p user@proxy-website.com" } }).ssh, "1.1.1.1", ls))).toBe(
      "ssh -o ProxyCommand='ssh -W %h:%p user@proxy-website.com' -t root@1.1.1.1 -p 22 'ls'",
    );
    expect(render(server.runOverSsh(makeConfig({ ssh: { keys: ["~/.ssh/a", "~/.ssh/b"], keys_only: true } }).ssh, "1.1.1.1", ls))).toBe(
      "ssh -i ~/.ssh/a -i ~/.ssh/b -o IdentitiesOnly=yes -t root@1.1.1.1 -p 22 'ls'",
    );
    expect(render(server.runOverSsh(makeConfig({ ssh: { config: false } }).ssh, "1.1.1.1", ls))).toBe("ssh -F /dev/null -t root@1.1.1.1 -p 22 'ls'");
    expect(render(server.runOverSsh(makeConfig({ ssh: { config: ["a", "b"] } }).ssh, "1.1.1.1", ls))).toBe("ssh -F a -F b -t root@1.1.1.1 -p 22 'ls'");
    expect(render(server.runOverSsh(makeConfig({ ssh: { config: "/etc/x", proxy: "ops@bastion" } }).ssh, "1.1.1.1", ls))).toBe("ssh -F /etc/x -J ops@bastion -t root@1.1.1.1 -p 22 'ls'");
  });
  test("single quotes inside the command", () => {
    expect(render(server.runOverSsh(makeConfig().ssh, "app-1", ["sh", "-c", "'echo hi'", "|", "grep", '"hi"']))).toBe("ssh -t root@app-1 -p 22 'sh -c '\\''echo hi'\\'' | grep \"hi\"'");
  });
});
