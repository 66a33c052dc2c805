import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";

/**
 * Runs git in `cwd` with `home` as HOME and no system config, so the caller's git setup never leaks into a
 * fixture; fails the test with git's stderr unless git succeeds. Returns stdout, trimmed.
 */
export function runGit(home: string, cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: "1" },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}
