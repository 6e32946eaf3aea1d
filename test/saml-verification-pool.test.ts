import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { VerifierBusyError } from "../src/sso/saml/response-verifier.js";
import { startVerificationPool } from "../src/sso/saml/verification-pool.js";
import { testDialects } from "./support/databases.js";
import { CRASH_WORKER, HOLD_WORKER, createGate } from "./support/gated-verification-worker.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, startLogin, type SamlClinic } from "./support/saml-flow.js";
import { createTestIdp } from "./support/test-idp.js";

const GATED_WORKER = new URL("./support/gated-verification-worker.ts", import.meta.url);

for (const dialect of testDialects()) {
  describe(`SAML verification in worker threads, over HTTP (${dialect})`, () => {
    const gate = createGate();
    let t: TestApp;
    before(async () => {
      // One worker and no waiting room: a single held verification fills the pool.
      t = await startTestApp(dialect, {
        env: { SAML_WORKERS: "1" },
        samlVerification: { queueLimit: 0, workerFile: GATED_WORKER, workerData: gate.workerData },
      });
    });
    after(async () => {
      gate.open();
      await t.close();
    });

    async function givenSamlClinic(): Promise<SamlClinic & { email: string }> {
      const clinic = await givenClinic(t, 5, "Harbor Clinic");
      const email = `nurse@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Nia Nurse" });
      return { ...(await connectTestIdp(t, clinic)), email };
    }

    async function signedResponseFor(s: SamlClinic & { email: string }, client: ReturnType<TestApp["client"]>) {
      const { requestId } = await startLogin(t, client, s.clinic);
      return s.idp.buildResponse({ spEntityId: s.sp.entityId, acsUrl: s.sp.acsUrl, email: s.email, inResponseTo: requestId });
    }

    async function countSsoEvents(clinicId: string): Promise<number> {
      const rows = await t.db.selectFrom("sso_events").select("id").where("clinic_id", "=", clinicId).execute();
      return rows.length;
    }

    test("a full queue answers 503 with Retry-After and a plain page, and records nothing of the attempt", async () => {
      const s = await givenSamlClinic();
      const client = t.client();
      const response = await signedResponseFor(s, client);
      gate.close();
      const holder = postToAcs(t, t.client(), s.clinic.subdomain, HOLD_WORKER);
      await gate.whenHeld();
      const eventsBefore = await countSsoEvents(s.clinic.id);

      const busy = await postToAcs(t, client, s.clinic.subdomain, response);
      assert.equal(busy.status, 503);
      assert.equal(busy.headers["retry-after"], "1");
      assert.match(busy.body, /Sign-in is busy right now/);
      assert.match(busy.body, /Nothing was recorded/);
      assert.doesNotMatch(busy.body, /VerifierBusyError|    at |SAMLResponse/);
      assert.equal(await countSsoEvents(s.clinic.id), eventsBefore, "no SSO event for the refused attempt");

      gate.open();
      assert.equal((await holder).status, 403, "the held post gets its own verdict once its worker is free");
      // The same response still signs in: its request was not answered and its assertion not remembered.
      const retried = await postToAcs(t, client, s.clinic.subdomain, response);
      assert.equal(retried.status, 303);
      const session = await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"));
      assert.equal(session.json().email, s.email);
    });

    test("a worker that dies mid-verification does not take the app down, and the next sign-in works", async () => {
      const s = await givenSamlClinic();
      const crashed = await postToAcs(t, t.client(), s.clinic.subdomain, CRASH_WORKER);
      assert.equal(crashed.status, 500);
      assert.match(crashed.body, /Something went wrong/);
      assert.doesNotMatch(crashed.body, /exited|    at |Error:/);

      const client = t.client();
      const acs = await postToAcs(t, client, s.clinic.subdomain, await signedResponseFor(s, client));
      assert.equal(acs.status, 303);
      const session = await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"));
      assert.equal(session.json().email, s.email);
    });
  });
}

describe("the verification pool", () => {
  test("counts running and waiting verifications against its bound, and replaces a terminated worker", async () => {
    const gate = createGate();
    const idp = await createTestIdp();
    const input = (samlResponse: string) => ({
      samlResponse,
      trust: { idpEntityId: idp.entityId, certificates: [idp.certificatePem] },
      sp: { entityId: "https://clinic.test/saml/metadata", acsUrl: "https://clinic.test/saml/acs" },
      attributeNames: { email: ["email"], firstName: [], lastName: [] },
      now: new Date(),
      clockSkewMs: 0,
    });
    const pool = startVerificationPool({ workers: 1, queueLimit: 1, workerFile: GATED_WORKER, workerData: gate.workerData });
    try {
      const held = pool.verify(input(HOLD_WORKER));
      await gate.whenHeld();
      const waiting = pool.verify(input("bm90IFhNTA=="));
      assert.equal(pool.inFlight, 2);
      // Refused at once, before the next turn of the event loop: a flood never waits for a worker to say no.
      const third = await Promise.race([
        pool.verify(input("bm90IFhNTA==")).then(
          () => "verified",
          (error: unknown) => error,
        ),
        new Promise((resolve) => setImmediate(() => resolve("still waiting"))),
      ]);
      assert.ok(third instanceof VerifierBusyError, String(third));
      assert.equal(third.retryAfterSeconds, 1);

      // A thread ended from outside (as an out-of-memory kill would) fails the task it was running and the one it
      // held next; the pool starts a thread for what comes after.
      const [worker] = pool.threads;
      await worker!.terminate();
      await assert.rejects(held);
      await assert.rejects(waiting);
      const again = await pool.verify(input("bm90IFhNTA=="));
      assert.equal(again.ok, false);
      assert.equal(pool.inFlight, 0);
    } finally {
      gate.open();
      await pool.close();
    }
  });
});
