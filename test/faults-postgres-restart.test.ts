import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inflateRawSync } from "node:zlib";
import type { HttpClient, HttpResponse } from "./support/http-client.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { InsertGate } from "./support/query-gate.js";
import { startPostgresCluster, postgresClusterSkipReason, type PostgresCluster } from "./support/postgres-cluster.js";
import { connectTestIdp, postToAcs, type SamlClinic } from "./support/saml-flow.js";

// This test stops and starts a PostgreSQL server, so it brings its own; it needs the server tools (CI has them).
const noCluster = postgresClusterSkipReason();

/** A sign-in between its start (the AuthnRequest is stored) and its answer from the IdP. */
interface Started {
  email: string;
  client: HttpClient;
  samlResponse: string;
}

type Attempt = { email: string; outcome: "signed_in"; client: HttpClient } | { email: string; outcome: "unavailable" };

/** The clean outage page: 503, Retry-After, plain words and a reference; nothing of the driver's error. */
function assertCleanOutagePage(res: HttpResponse): void {
  assert.equal(res.status, 503);
  assert.equal(res.headers["retry-after"], "5");
  assert.match(String(res.headers["content-type"]), /^text\/html/);
  assert.match(res.body, /We could not reach our database, so this request was not completed\. Please wait a few seconds and try again/);
  assert.match(res.body, /give them this reference: <span class="ref">[A-Z0-9-]{6,}<\/span>/);
  assert.doesNotMatch(res.body, /ECONNREFUSED|57P0\d|Connection terminated|terminating connection|postgres|\bat .+\.(js|ts):\d+/i);
}

describe("PostgreSQL restarted during a sign-in load", { skip: noCluster }, () => {
  let cluster: PostgresCluster;
  let t: TestApp;
  let s: SamlClinic;
  const SEATS = 500;
  const existing = Array.from({ length: 8 }, (_, i) => `member${i}@harbour.example`);
  let newcomers = 0;
  const log: string[] = [];
  const gate = new InsertGate();
  /** Every sign-in the app answered with a session: each must hold after the outage. */
  const signedIn: Extract<Attempt, { outcome: "signed_in" }>[] = [];

  before(async () => {
    cluster = await startPostgresCluster();
    t = await startTestApp("postgres", {
      logger: { level: "warn", stream: { write: (line: string) => void log.push(line) } },
      database: { dialect: "postgres", url: cluster.url, drop: async () => undefined },
      wrapDb: (db) => gate.wrap(db),
    });
    const clinic = await givenClinic(t, SEATS, "Harbour Clinic");
    for (const email of existing) await givenMember(t, clinic, { email, name: "Existing Member" });
    s = await connectTestIdp(t, clinic, { jitProvisioning: true });
  });
  after(async () => {
    await t?.close();
    await cluster?.destroy();
  });

  const newcomer = () => `new${++newcomers}@harbour.example`;
  const someone = (i: number) => (i % 2 === 0 ? newcomer() : existing[i % existing.length]!);

  /** SP-initiated start, as the SSO button does, and the test IdP's signed answer to it. */
  async function startSignIn(email: string): Promise<Started | { email: string; outcome: "unavailable" }> {
    const client = t.client();
    const res = await client.get(t.clinicUrl(s.clinic.subdomain, "/saml/login?returnTo=%2Fdashboard"));
    if (res.status !== 302) {
      assertCleanOutagePage(res);
      return { email, outcome: "unavailable" };
    }
    const inResponseTo = /ID="([^"]+)"/.exec(authnRequestOf(res.location!))![1]!;
    const attributes = { email, firstName: "Nia", lastName: "Newcomer" };
    const samlResponse = await s.idp.buildResponse({ spEntityId: s.sp.entityId, acsUrl: s.sp.acsUrl, email, inResponseTo, attributes });
    return { email, client, samlResponse };
  }

  async function finishSignIn(started: Started): Promise<Attempt> {
    const res = await postToAcs(t, started.client, s.clinic.subdomain, started.samlResponse);
    if (res.status === 503) {
      assertCleanOutagePage(res);
      return { email: started.email, outcome: "unavailable" };
    }
    assert.equal(res.status, 303, `sign-in of ${started.email}: ${res.status}`);
    assert.equal(res.location, "/dashboard");
    const attempt = { email: started.email, outcome: "signed_in" as const, client: started.client };
    signedIn.push(attempt);
    return attempt;
  }

  async function signInOnce(email: string): Promise<Attempt> {
    const started = await startSignIn(email);
    return "samlResponse" in started ? finishSignIn(started) : started;
  }

  test("sign-ins go through before the restart", async () => {
    const attempts = await Promise.all([0, 1, 2, 3].map((i) => signInOnce(someone(i))));
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ["signed_in", "signed_in", "signed_in", "signed_in"],
    );
  });

  test("during a restart under load every answer is a sign-in or the clean outage page, and the process lives on", async () => {
    let restarted: Promise<void> | null = null;
    let restarting = true;
    let next = 0;
    // Eight browsers signing in one after another, until the restart is over and once more after it.
    const browser = async () => {
      const mine: Attempt[] = [];
      do {
        mine.push(await signInOnce(someone(next++)));
        // The restart begins once sign-ins are flowing; it terminates the pool's connections, idle and busy (57P01).
        restarted ??= cluster.restart().finally(() => (restarting = false));
      } while (restarting);
      mine.push(await signInOnce(someone(next++)));
      return mine;
    };
    const outcomes = (await Promise.all(Array.from({ length: 8 }, browser))).flat();
    await restarted;
    for (const attempt of outcomes) assert.ok(attempt.outcome === "signed_in" || attempt.outcome === "unavailable");
    // The outage is logged as one, with a reference per refused request, never as a fault of the app.
    assert.ok(log.some((line) => /"msg":"database unavailable"/.test(line) && /"reference":"[A-Z0-9-]+"/.test(line)));
    assert.deepEqual(
      log.filter((line) => /unexpected error|SAMLResponse|"stack":"[^"]/.test(line)),
      [],
    );
  });

  test("while the database is down, starts and answers from the IdP get the outage page, and JSON callers a 503", async () => {
    // Started while the database is up; the IdP's answers arrive once it is down.
    const inFlight = await Promise.all([0, 1, 2, 3].map((i) => startSignIn(someone(i))));
    await cluster.stop();
    for (const started of inFlight) {
      assert.ok("samlResponse" in started);
      assert.equal((await finishSignIn(started)).outcome, "unavailable");
    }
    for (const i of [4, 5, 6, 7]) assert.ok(!("samlResponse" in (await startSignIn(someone(i)))));
    const api = await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator);
    assert.equal(api.status, 503);
    assert.equal(api.headers["retry-after"], "5");
    const body = api.json();
    assert.equal(body.error, "database_unavailable");
    assert.match(body.reference, /^[A-Z0-9-]{6,}$/);

    await cluster.start();
    // Nothing of them was written during the outage: the very same answers from the IdP now sign their people in.
    for (const started of inFlight) {
      assert.ok("samlResponse" in started);
      assert.equal((await finishSignIn(started)).outcome, "signed_in");
    }
  });

  test("after the restart the app has reconnected by itself: new sign-ins succeed", async () => {
    const attempts = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => signInOnce(someone(i))));
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      Array(6).fill("signed_in"),
    );
  });

  test("a first sign-in cut off inside its transaction, its account already inserted, leaves no account and takes no seat", async () => {
    const email = newcomer();
    const started = await startSignIn(email);
    assert.ok("samlResponse" in started);
    const seatsBefore = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json().seatsUsed;
    // Held right after its membership row is inserted: the account is written and the seat taken, nothing is committed.
    const held = gate.arm("memberships");
    const answer = finishSignIn(started);
    await held.reached;
    await cluster.stop();
    held.release();
    assert.equal((await answer).outcome, "unavailable");
    await cluster.start();
    assert.deepEqual(await t.db.selectFrom("users").select("id").where("email", "=", email).execute(), []);
    assert.equal((await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json().seatsUsed, seatsBefore);
    // Starting again from the sign-in page creates the account, once.
    assert.equal((await signInOnce(email)).outcome, "signed_in");
  });

  test("afterwards: no half-created account, orphan membership, lost seat or dangling session", async () => {
    const clinicId = s.clinic.id;
    const users = await t.db.selectFrom("users").select(["id", "email"]).where("email", "like", "%@harbour.example").execute();
    const memberships = await t.db.selectFrom("memberships").select(["user_id", "clinic_id", "status"]).execute();
    // Every account has its membership, and every membership its account.
    const memberIds = new Set(memberships.filter((m) => m.clinic_id === clinicId).map((m) => m.user_id));
    assert.deepEqual(
      users.filter((u) => !memberIds.has(u.id)).map((u) => u.email),
      [],
    );
    const orphans = await t.db
      .selectFrom("memberships")
      .leftJoin("users", "users.id", "memberships.user_id")
      .select("memberships.user_id")
      .where("users.id", "is", null)
      .execute();
    assert.deepEqual(orphans, []);

    // Seats: what the clinic reports equals the members it has; each newcomer was created by exactly one sign-in.
    const clinic = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json();
    assert.equal(clinic.seatsUsed, memberIds.size);
    assert.ok(clinic.seatsUsed <= SEATS);
    const events = await t.db.selectFrom("sso_events").select(["code", "email", "outcome"]).where("clinic_id", "=", clinicId).execute();
    const provisioned = events.filter((e) => e.code === "signed_in_new_member").map((e) => e.email);
    const newcomerAccounts = users.filter((u) => u.email.startsWith("new")).map((u) => u.email);
    assert.deepEqual([...provisioned].sort(), [...newcomerAccounts].sort());
    assert.equal(memberIds.size, existing.length + newcomerAccounts.length);

    // Each session of the clinic came with its audit event and its SSO success event (one transaction).
    const sessions = await t.db.selectFrom("sessions").select("user_id").where("clinic_id", "=", clinicId).execute();
    const audits = await t.db
      .selectFrom("audit_events")
      .select("target")
      .where("clinic_id", "=", clinicId)
      .where("action", "=", "sign_in.saml")
      .execute();
    const successes = events.filter((e) => e.outcome === "success");
    assert.equal(sessions.length, successes.length);
    assert.equal(audits.length, successes.length);
    // Every sign-in the app answered with success has its session, opened by the cookie it was given.
    assert.ok(signedIn.length >= 4 + 4 + 6);
    assert.ok(successes.length >= signedIn.length);
    for (const attempt of signedIn) {
      const session = await attempt.client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"));
      assert.equal(session.status, 200, attempt.email);
      assert.equal(session.json().email, attempt.email);
      assert.ok(
        audits.some((a) => a.target === attempt.email),
        `audit event of ${attempt.email}`,
      );
      assert.ok(
        successes.some((e) => e.email === attempt.email),
        `SSO event of ${attempt.email}`,
      );
    }
  });
});

function authnRequestOf(location: string): string {
  return inflateRawSync(Buffer.from(new URL(location).searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
}
