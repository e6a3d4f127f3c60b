import { describe, expect, test } from "bun:test";
import { interactiveSshArgv, interactiveSshCommand } from "../../../src/ssh/interactive.ts";

describe("interactive ssh command line", () => {
  test("defaults", () => {
    expect(interactiveSshCommand({}, "1.1.1.1", "docker exec -it app-web-123 bin/rails c")).toBe("ssh -t root@1.1.1.1 -p 22 'docker exec -it app-web-123 bin/rails c'");
  });

  test("config files, jump host, keys, keys_only, user and port", () => {
    expect(interactiveSshCommand({ config: ["~/.ssh/a", "b"], proxy: "bastion", keys: ["~/.ssh/k1", "/k2"], keys_only: true, user: "app", port: "2222" }, "h", "ls")).toBe(
      "ssh -F ~/.ssh/a -F b -J root@bastion -i ~/.ssh/k1 -i /k2 -o IdentitiesOnly=yes -t app@h -p 2222 'ls'",
    );
    expect(interactiveSshCommand({ config: false, proxy: "ops@bastion" }, "h", "ls")).toBe("ssh -F /dev/null -J ops@bastion -t root@h -p 22 'ls'");
    expect(interactiveSshCommand({ config: "/etc/x" }, "h", "ls")).toBe("ssh -F /etc/x -t root@h -p 22 'ls'");
  });

  test("proxy_command and single quotes in the command", () => {
    expect(interactiveSshCommand({ proxy_command: "ssh -W %h:%p user@proxy" }, "h", "sh -c 'echo hi'")).toBe(
      `ssh -o ProxyCommand='ssh -W %h:%p user@proxy' -t root@h -p 22 'sh -c '\\''echo hi'\\'''`,
    );
  });

  test("argv form, ~ expanded", () => {
    expect(interactiveSshArgv({ keys: ["~/.ssh/k"], proxy_command: "nc %h %p", port: 2222 }, "h", "echo 'x'", "/home/me")).toEqual([
      "ssh",
      "-o",
      "ProxyCommand=nc %h %p",
      "-i",
      "/home/me/.ssh/k",
      "-t",
      "root@h",
      "-p",
      "2222",
      "echo 'x'",
    ]);
  });
});
