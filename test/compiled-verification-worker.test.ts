import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { createTestIdp } from "./support/test-idp.js";

const ROOT = join(import.meta.dirname, "..");

// `npm start` runs the compiled service with plain node: the pool must find verification-worker.js beside itself there,
// as it finds verification-worker.ts under tsx. Compiled inside the project so that node_modules resolve as in dist/.
test("the compiled verification pool runs its compiled worker under plain node", async () => {
  const outDir = join(ROOT, "test-output", `compiled-${process.pid}`);
  try {
    const build = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", outDir],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    assert.equal(build.status, 0, build.stdout + build.stderr);

    const idp = await createTestIdp();
    const sp = { entityId: "https://clinic.test/saml/metadata", acsUrl: "https://clinic.test/saml/acs" };
    const samlResponse = await idp.buildResponse({ spEntityId: sp.entityId, acsUrl: sp.acsUrl, email: "lee@clinic.test" });
    const input = { samlResponse, trust: { idpEntityId: idp.entityId, certificates: [idp.certificatePem] }, sp };
    const pool = pathToFileURL(join(outDir, "sso/saml/verification-pool.js")).href;
    const script = `
      import { startVerificationPool } from ${JSON.stringify(pool)};
      const input = JSON.parse(process.env.INPUT);
      const pool = startVerificationPool({ workers: 1, queueLimit: 0 });
      const verified = await pool.verify({ ...input, attributeNames: { email: ["email"], firstName: [], lastName: [] }, now: new Date(), clockSkewMs: 60000 });
      await pool.close();
      console.log(JSON.stringify({ ok: verified.ok, email: verified.ok ? verified.value.email : verified.error.reason }));
    `;
    // No tsx here: execArgv is empty, so the worker thread inherits nothing that could compile TypeScript.
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", INPUT: JSON.stringify(input) },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { ok: true, email: "lee@clinic.test" });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
