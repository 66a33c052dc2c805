/**
 * compose.yaml, the local development setup: the bot builds the Dockerfile's `development` target with the
 * source mounted, reads CI's `main` registry cache, and waits for a healthy Postgres; the `prod` profile
 * builds `final`.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");
const COMPOSE_FILE = join(ROOT, "compose.yaml");
const REGISTRY = "${VOXPERSONA_REGISTRY:-127.0.0.1:5000/voxpersona}";
const APP_DIR = "${VOXPERSONA_APP_DIR:-./app}";
const DEPENDENCY_STAGES = ["system-base", "python-deps", "ml-models"];

interface Build {
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
}

interface Service {
  image?: string;
  build?: Build;
  profiles?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required: boolean }[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string };
  restart?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(COMPOSE_FILE, "utf8")) as Compose;
const bot = compose.services.bot;
const botProd = compose.services["bot-prod"];
const db = compose.services.db;

const cacheRefs = (stages: string[]): string[] =>
  stages.map((stage) => `type=registry,ref=${REGISTRY}/cache/${stage}:main`);

describe("compose.yaml", () => {
  it("has exactly the bot, bot-prod and db services", () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ["bot", "bot-prod", "db"]);
  });

  it("builds the bot's development target from docker/Dockerfile with the app as context", () => {
    assert.equal(bot.build?.target, "development");
    assert.equal(bot.build?.context, APP_DIR);
    // Compose resolves a relative dockerfile from the context: ./app/../docker/Dockerfile.
    assert.equal(bot.build?.dockerfile, "${VOXPERSONA_DOCKERFILE:-../docker/Dockerfile}");
    assert.equal(join(ROOT, "app", "../docker/Dockerfile"), join(ROOT, "docker", "Dockerfile"));
    assert.equal(bot.build?.args?.BASE_IMAGE, "${VOXPERSONA_BASE_IMAGE:-python:3.10.11-slim}");
  });

  it("mounts the application source read-only into /app", () => {
    assert.deepEqual(
      bot.volumes,
      ["src", "prompts", "prompts-by-scenario", "sql_scripts"].map((d) => `${APP_DIR}/${d}:/app/${d}:ro`),
    );
  });

  it("reads the main registry cache of every dependency stage and never writes a cache", () => {
    assert.deepEqual(bot.build?.cache_from, cacheRefs(DEPENDENCY_STAGES));
    assert.deepEqual(botProd.build?.cache_from, cacheRefs([...DEPENDENCY_STAGES, "final"]));
    assert.equal(bot.build?.cache_to, undefined);
    assert.equal(botProd.build?.cache_to, undefined);
  });

  it("restarts on failure and starts the bot only once the database is healthy", () => {
    for (const service of [bot, botProd, db]) assert.equal(service.restart, "on-failure");
    for (const service of [bot, botProd]) {
      assert.deepEqual(service.depends_on, { db: { condition: "service_healthy" } });
    }
  });

  it("points DATABASE_URL at the db service and takes tokens from an optional env file", () => {
    for (const service of [bot, botProd]) {
      assert.match(service.environment?.DATABASE_URL ?? "", /^postgresql:\/\/[^@]+@db:5432\/\S+$/);
      assert.deepEqual(service.env_file, [{ path: `${APP_DIR}/.env`, required: false }]);
    }
  });

  it("runs postgres:15 with a pg_isready health check and a named volume", () => {
    assert.equal(db.image, "postgres:15");
    const test = db.healthcheck?.test;
    assert.ok(Array.isArray(test) && test[0] === "CMD-SHELL" && /^pg_isready\b/.test(test[1]), String(test));
    assert.deepEqual(db.volumes, ["pgdata:/var/lib/postgresql/data"]);
    assert.ok(compose.volumes !== undefined && "pgdata" in compose.volumes);
  });

  it("has a prod profile whose bot builds the final target without source mounts", () => {
    assert.deepEqual(botProd.profiles, ["prod"]);
    assert.equal(botProd.build?.target, "final");
    assert.equal(botProd.build?.context, bot.build?.context);
    assert.equal(botProd.build?.dockerfile, bot.build?.dockerfile);
    assert.equal(botProd.volumes, undefined);
    assert.equal(bot.profiles, undefined);
    assert.equal(db.profiles, undefined);
  });

  it("is valid for docker compose (v2)", function () {
    const version = spawnSync("docker", ["compose", "version"], { encoding: "utf8" });
    if (version.error !== undefined || version.status !== 0) {
      // Only this test depends on the Compose CLI plugin; the structure is checked above either way.
      console.log("      docker compose v2 is not installed here (`docker compose version` fails): skipped");
      this.skip();
    }
    for (const profile of [[], ["--profile", "prod"]]) {
      const result = spawnSync("docker", ["compose", "-f", COMPOSE_FILE, ...profile, "config", "-q"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      assert.equal(result.status, 0, result.stderr);
    }
  });
});
