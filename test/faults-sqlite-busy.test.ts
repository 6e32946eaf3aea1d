import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { inflateRawSync } from "node:zlib";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, type SamlClinic } from "./support/saml-flow.js";

/**
 * Another connection to the same SQLite file (a CLI run, a backup) holding the write lock until told to let go.
 * It lives on its own thread: while the app waits out its busy timeout, better-sqlite3 blocks the app's thread.
 */
async function holdWriteLock(path: string): Promise<{ release(): Promise<void> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const Database = require("better-sqlite3");
     const db = new Database(workerData.path);
     db.exec("BEGIN IMMEDIATE");
     parentPort.postMessage("held");
     parentPort.once("message", () => { db.exec("ROLLBACK"); db.close(); parentPort.postMessage("released"); });`,
    { eval: true, workerData: { path } },
  );
  const [held] = await once(worker, "message");
  assert.equal(held, "held");
  return {
    async release() {
      worker.postMessage("release");
      await once(worker, "message");
      await worker.terminate();
    },
  };
}

describe("SQLite locked by another connection", () => {
  let t: TestApp;
  let s: SamlClinic;
  const log: string[] = [];
  before(async () => {
    t = await startTestApp("sqlite", { logger: { level: "warn", stream: { write: (line: string) => void log.push(line) } } });
    s = await connectTestIdp(t, await givenClinic(t, 5, "Quayside Clinic"), { jitProvisioning: true });
  });
  after(() => t.close());

  test("a write held past the busy timeout gets the clean 503 page, and nothing is half-written", async () => {
    const client = t.client();
    const start = await client.get(t.clinicUrl(s.clinic.subdomain, "/saml/login"));
    assert.equal(start.status, 302);
    const authnRequest = inflateRawSync(Buffer.from(new URL(start.location!).searchParams.get("SAMLRequest")!, "base64")).toString();
    const inResponseTo = /ID="([^"]+)"/.exec(authnRequest)![1]!;
    const email = "quinn@quayside.example";
    const samlResponse = await s.idp.buildResponse({ spEntityId: s.sp.entityId, acsUrl: s.sp.acsUrl, email, inResponseTo });

    const lock = await holdWriteLock(t.config.databaseUrl.slice("sqlite:".length));
    try {
      // Both need to write (the AuthnRequest; the answered request, the account and the session): both wait, then give up.
      for (const res of [
        await client.get(t.clinicUrl(s.clinic.subdomain, "/saml/login")),
        await postToAcs(t, client, s.clinic.subdomain, samlResponse),
      ]) {
        assert.equal(res.status, 503);
        assert.equal(res.headers["retry-after"], "5");
        assert.match(res.body, /We could not reach our database, so this request was not completed/);
        assert.match(res.body, /give them this reference: <span class="ref">[A-Z0-9-]{6,}<\/span>/);
        assert.doesNotMatch(res.body, /SQLITE|locked|\bat .+\.(js|ts):\d+/i);
      }
    } finally {
      await lock.release();
    }
    assert.equal((await t.db.selectFrom("users").select("id").where("email", "=", email).execute()).length, 0);
    // The refused answer wrote nothing: once the lock is gone the very same answer signs the person in.
    const retried = await postToAcs(t, client, s.clinic.subdomain, samlResponse);
    assert.equal(retried.status, 303);
    assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().email, email);
    assert.ok(log.some((line) => /"msg":"database unavailable"/.test(line) && /SQLITE_BUSY/.test(line)));
    assert.deepEqual(
      log.filter((line) => /unexpected error/.test(line)),
      [],
    );
  });
});
