/**
 * PostgreSQL that does not fail but stops answering: a statement waiting on a lock held elsewhere, and a database
 * host that vanished with the app's connections open (a failover, a partition). Neither may hold a request, or the
 * requests queued behind it, for longer than the statement time limit; neither may leave anything half-written.
 * The app reaches the database through a relay (stalling-proxy.ts) that can make its open connections go silent.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import type { HttpResponse } from "./support/http-client.js";
import { createTestDatabase, testDialects, type TestDatabase } from "./support/databases.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, idpResponse, postToAcs, startLogin, type SamlClinic } from "./support/saml-flow.js";
import { startStallingProxy, type StallingProxy } from "./support/stalling-proxy.js";

const STATEMENT_TIMEOUT_MS = 1000;

function assertCleanOutagePage(res: HttpResponse): void {
  assert.equal(res.status, 503);
  assert.equal(res.headers["retry-after"], "5");
  assert.match(res.body, /We could not reach our database, so this request was not completed/);
  assert.match(res.body, /give them this reference: <span class="ref">[A-Z0-9-]{6,}<\/span>/);
  assert.doesNotMatch(res.body, /57014|timeout|canceling|postgres|\bat .+\.(js|ts):\d+/i);
}

describe("PostgreSQL stops answering", { skip: !testDialects().includes("postgres") && "needs DATABASE_URL on PostgreSQL" }, () => {
  let database: TestDatabase;
  let proxy: StallingProxy;
  let t: TestApp;
  let s: SamlClinic;
  const log: string[] = [];
  /** Straight to the database, past the relay: what the test checks and the lock it holds. */
  let direct: pg.Client;

  before(async () => {
    database = await createTestDatabase("postgres");
    const url = new URL(database.url);
    proxy = await startStallingProxy({ host: url.hostname, port: Number(url.port || 5432) });
    direct = new pg.Client({ connectionString: database.url });
    await direct.connect();
    const relayed = new URL(database.url);
    relayed.hostname = "127.0.0.1";
    relayed.port = String(proxy.port);
    t = await startTestApp("postgres", {
      database: { ...database, url: relayed.toString() },
      env: { DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
      logger: { level: "warn", stream: { write: (line: string) => void log.push(line) } },
    });
    s = await connectTestIdp(t, await givenClinic(t, 5, "Ridgeway Clinic"));
  });
  after(async () => {
    await t?.close();
    await direct?.end();
    await proxy?.close();
  });

  test("a sign-in stuck behind a lock gets the clean 503 page past the time limit, and leaves nothing written", async () => {
    const email = "rowan@ridgeway.example";
    const { user } = await givenMember(t, s.clinic, { email, name: "Rowan Reed" });
    const client = t.client();
    const { requestId } = await startLogin(t, client, s.clinic);
    const samlResponse = await idpResponse(s, { email, inResponseTo: requestId });

    // Another session holds the member's row, as a long admin transaction would: the sign-in's record of it waits.
    await direct.query("begin");
    await direct.query("select 1 from memberships where user_id = $1 for update", [user.id]);
    let stuck: HttpResponse;
    try {
      stuck = await postToAcs(t, client, s.clinic.subdomain, samlResponse);
    } finally {
      await direct.query("rollback");
    }
    assertCleanOutagePage(stuck);
    const sessions = await direct.query("select count(*)::int as n from sessions where user_id = $1", [user.id]);
    assert.equal(sessions.rows[0].n, 0, "no session was written");
    // The answered request and the remembered assertion went back with the rest: the same answer now signs in.
    const retried = await postToAcs(t, client, s.clinic.subdomain, samlResponse);
    assert.equal(retried.status, 303);
    assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().email, email);
    assert.ok(log.some((line) => /"msg":"database unavailable"/.test(line) && /57014/.test(line)));
  });

  test("when the database host goes silent, requests get the 503 page, and new connections serve the next ones", async () => {
    const signInPage = () => t.client().get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
    // Several connections open in the pool, all of them then silent: a failover left them talking to no one.
    const warm = await Promise.all(Array.from({ length: 6 }, signInPage));
    assert.deepEqual(
      warm.map((res) => res.status),
      [200, 200, 200, 200, 200, 200],
    );
    proxy.stallOpenConnections();
    const during = await Promise.all(Array.from({ length: 8 }, signInPage));
    for (const res of during) {
      if (res.status !== 200) assertCleanOutagePage(res);
    }
    assert.ok(
      during.some((res) => res.status === 503),
      "a request on a silent connection got the outage page",
    );
    // The silent connections were dropped, not put back in the pool: every request from now on is served.
    for (let i = 0; i < 12; i++) assert.equal((await signInPage()).status, 200, `request ${i + 1} after the stall`);
    assert.deepEqual(
      log.filter((line) => /unexpected error|"stack":"[^"]/.test(line)),
      [],
    );
  });
});
