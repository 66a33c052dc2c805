import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const DOCKER = "/usr/bin/docker";

function compose(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(DOCKER, ["compose", "-f", "compose.yaml", ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

describe("compose.yaml with the real docker compose", () => {
  before(() => {
    const v = spawnSync(DOCKER, ["compose", "version"], { encoding: "utf8" });
    assert.equal(
      v.status,
      0,
      `docker compose v2 is missing (scripts/buildkit/install.sh installs it): ${v.stderr}`,
    );
  });

  it("is valid, default services and the prod profile", () => {
    const dev = compose("config", "-q");
    assert.equal(dev.status, 0, dev.out);
    const prod = compose("--profile", "prod", "config", "-q");
    assert.equal(prod.status, 0, prod.out);
    const services = compose("--profile", "prod", "config", "--services");
    assert.equal(services.status, 0, services.out);
    assert.deepEqual(services.out.trim().split("\n").sort(), ["bot", "bot-prod", "db"]);
  });

  it("rejects a broken file (the check above can fail)", () => {
    const r = spawnSync(DOCKER, ["compose", "-f", "-", "config", "-q"], {
      cwd: ROOT,
      input: "services:\n  bot:\n    restart: sometimes\n",
      encoding: "utf8",
    });
    assert.notEqual(r.status, 0);
  });
});
