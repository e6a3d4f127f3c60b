import { describe, expect, test } from "bun:test";
import { accessoryCommands } from "../../../src/commands/accessory.ts";
import { runOverSsh } from "../../../src/commands/server.ts";
import { render } from "../../../src/commands/shell.ts";
import { makeConfig } from "./_config.ts";

const config = makeConfig({
  servers: ["1.1.1.1", "1.1.1.2"],
  accessories: {
    mysql: {
      image: "mysql:5.7",
      registry: { server: "private.registry", username: "u", password: "p" },
      host: "1.1.1.3",
      port: 3306,
      env: { clear: { MYSQL_ROOT_HOST: "%" }, secret: ["MYSQL_ROOT_PASSWORD"] },
      files: ["config/mysql/my.cnf:/etc/mysql/my.cnf"],
      directories: ["data:/var/lib/mysql"],
    },
    redis: { image: "redis:latest", roles: ["web"], port: "6379:6379", labels: { cache: "true" }, options: { cpus: 4, memory: "2GB" }, cmd: "redis-server --appendonly yes" },
    web: { image: "nginx", host: "1.1.1.4", proxy: { host: "site.example.com", app_port: 8080 } },
  },
});
const mysql = accessoryCommands(config, config.accessory("mysql")!);
const redis = accessoryCommands(config, config.accessory("redis")!);

describe("accessory run", () => {
  test("MySQL with files, directories, port and a private registry", () => {
    expect(render(mysql.run("1.1.1.3"))).toBe(
      'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env KAMAL_HOST="1.1.1.3" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf --volume $PWD/app-mysql/data:/var/lib/mysql --label service="app-mysql" private.registry/mysql:5.7',
    );
  });

  test("labels, options and cmd", () => {
    expect(render(redis.run("1.1.1.1"))).toBe(
      'docker run --name app-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 6379:6379 --env KAMAL_HOST="1.1.1.1" --env-file .kamal/apps/app/env/accessories/redis.env --label service="app-redis" --label cache="true" --cpus "4" --memory "2GB" redis:latest redis-server --appendonly yes',
    );
  });
});

describe("accessory lifecycle", () => {
  test("start, stop, info, existing containers", () => {
    expect(render(mysql.start())).toBe("docker container start app-mysql");
    expect(render(mysql.stop())).toBe("docker container stop app-mysql");
    expect(render(mysql.info())).toBe("docker ps --filter label=service=app-mysql");
    expect(render(mysql.containerIds())).toBe("docker ps -a -q --filter label=service=app-mysql");
    expect(render(mysql.containerId())).toBe("docker container ls --all --filter 'name=^app-mysql$' --quiet");
  });

  test("logs keep Kamal's double spaces", () => {
    expect(render(mysql.logs())).toBe("docker logs app-mysql --timestamps 2>&1");
    expect(render(mysql.logs({ since: "5m", lines: 100, grep: "error", grepOptions: "-i" }))).toBe("docker logs app-mysql  --since 5m  --tail 100 --timestamps 2>&1 | grep 'error' -i");
    expect(render(runOverSsh(config.ssh, "1.1.1.3", mysql.followLogs({ grep: "x" })))).toBe("ssh -t root@1.1.1.3 -p 22 'docker logs app-mysql --timestamps --tail 10 --follow 2>&1 | grep \"x\"'");
  });

  test("exec", () => {
    expect(render(mysql.execInExisting("mysql -u root"))).toBe("docker exec app-mysql mysql -u root");
    expect(render(mysql.execInExisting("mysql -u root", { interactive: true }))).toBe("docker exec -it app-mysql mysql -u root");
    expect(render(mysql.execInNew("mysql -u root"))).toBe(
      'docker run --rm --network kamal --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf --volume $PWD/app-mysql/data:/var/lib/mysql private.registry/mysql:5.7 mysql -u root',
    );
  });

  test("pull, remove, directories", () => {
    expect(render(mysql.pullImage())).toBe("docker image pull private.registry/mysql:5.7");
    expect(render(mysql.removeContainer())).toBe("docker container prune --force --filter label=service=app-mysql");
    expect(render(mysql.removeImage())).toBe("docker image rm --force private.registry/mysql:5.7");
    expect(render(mysql.removeServiceDirectory())).toBe("rm -rf app-mysql");
    expect(render(mysql.ensureEnvDirectory())).toBe("mkdir -p .kamal/apps/app/env/accessories");
    expect(render(mysql.makeDirectoryFor("app-mysql/etc/mysql/my.cnf"))).toBe("mkdir -p app-mysql/etc/mysql");
    expect(render(mysql.chmod("app-mysql/etc/mysql/my.cnf", "755"))).toBe("chmod 755 app-mysql/etc/mysql/my.cnf");
  });

  test("proxied accessory", () => {
    const web = accessoryCommands(config, config.accessory("web")!);
    expect(render(web.deploy("0123456789ab"))).toBe(
      'docker exec kamal-proxy kamal-proxy deploy app-web --target="0123456789ab:8080" --host="site.example.com" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    );
    expect(render(web.removeFromProxy())).toBe("docker exec kamal-proxy kamal-proxy remove app-web");
    expect(() => mysql.deploy("x")).toThrow();
  });
});
