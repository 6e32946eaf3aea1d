import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "../../../test/support/databases.js";
import { openMigratedDatabase, type MigratedDatabase } from "../../../test/support/test-database.js";
import { newBrowserBinding } from "./browser-binding.js";
import type { SamlConnection } from "./connection.js";
import {
  answerSamlRequest,
  checkSamlRequest,
  issueSamlRequest,
  looksLikeTestRequestId,
  pruneSamlRequests,
  REQUEST_LIFETIME_MS,
  REQUEST_RETENTION_MS,
} from "./request-store.js";

const connection = (clinicId: string, allowIdpInitiated = false) => ({ clinicId, allowIdpInitiated }) as SamlConnection;
// One browser started every request below, unless a test says otherwise.
const browser = newBrowserBinding();
const answering = (
  clinic: { id: string },
  inResponseTo: string | null,
  browserBinding: string | null = browser,
  allowIdpInitiated = false,
) => ({
  connection: connection(clinic.id, allowIdpInitiated),
  inResponseTo,
  browserBinding,
});

for (const dialect of testDialects()) {
  describe(`SAML request store (${dialect})`, () => {
    let m: MigratedDatabase;
    before(async () => (m = await openMigratedDatabase(dialect)));
    after(() => m.close());

    test("answers a request once, with the page the person asked for", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const id = await issueSamlRequest(m.db, clinic.id, { returnTo: "/rooms/dr-lee", browserBinding: browser }, now);
      assert.deepEqual(await answerSamlRequest(m.db, clinic, answering(clinic, id), now), {
        ok: true,
        value: "/rooms/dr-lee",
      });
      const again = await answerSamlRequest(m.db, clinic, answering(clinic, id), now);
      assert.equal(again.ok ? null : again.code, "request_already_used");
    });

    test("a test's request is never answered as a sign-in, nor a sign-in's as a test, and only tests' IDs look like tests'", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const testId = await issueSamlRequest(
        m.db,
        clinic.id,
        { returnTo: "/settings/sso", browserBinding: browser, purpose: { test: "next" } },
        now,
      );
      const signInId = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, now);
      assert.deepEqual([looksLikeTestRequestId(testId), looksLikeTestRequestId(signInId)], [true, false]);
      const asSignIn = await answerSamlRequest(m.db, clinic, answering(clinic, testId), now);
      assert.equal(asSignIn.ok ? null : asSignIn.code, "request_purpose_mismatch");
      const asTest = await answerSamlRequest(m.db, clinic, { ...answering(clinic, signInId), purpose: { test: "next" } }, now);
      assert.equal(asTest.ok ? null : asTest.code, "request_purpose_mismatch");
      const asOtherTest = await answerSamlRequest(m.db, clinic, { ...answering(clinic, testId), purpose: { test: "current" } }, now);
      assert.equal(asOtherTest.ok ? null : asOtherTest.code, "request_purpose_mismatch");
      assert.equal((await answerSamlRequest(m.db, clinic, { ...answering(clinic, testId), purpose: { test: "next" } }, now)).ok, true);
    });

    test("two answers racing for one request: exactly one wins", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const id = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, now);
      const results = await Promise.all([1, 2, 3].map(() => answerSamlRequest(m.db, clinic, answering(clinic, id), now)));
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    test("refuses an expired request, one for another clinic, and one we never sent", async () => {
      const clinic = await m.givenClinic();
      const other = await m.givenClinic();
      const now = new Date();
      const id = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, now);
      const later = new Date(now.getTime() + REQUEST_LIFETIME_MS);
      const code = async (c: typeof clinic, requestId: string | null, at: Date) => {
        const result = await answerSamlRequest(m.db, c, answering(c, requestId), at);
        return result.ok ? "ok" : result.code;
      };
      assert.equal(await code(clinic, id, later), "request_expired");
      assert.equal(await code(other, id, now), "request_for_other_clinic");
      assert.equal(await code(clinic, "_never-sent", now), "unknown_request");
      assert.equal(await code(clinic, id, now), "ok", "the refusals above did not use the request up");
    });

    test("an unsolicited response is accepted only when the connection allows IdP-initiated sign-in", async () => {
      const clinic = await m.givenClinic();
      const refused = await answerSamlRequest(m.db, clinic, answering(clinic, null, browser, false), new Date());
      assert.equal(refused.ok ? null : refused.code, "unsolicited_not_allowed");
      assert.deepEqual(await answerSamlRequest(m.db, clinic, answering(clinic, null, browser, true), new Date()), {
        ok: true,
        value: null,
      });
    });

    test("refuses an answer posted by another browser, or without the binding, and leaves the request usable", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const id = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, now);
      for (const other of [newBrowserBinding(), null]) {
        const refused = await answerSamlRequest(m.db, clinic, answering(clinic, id, other), now);
        assert.equal(refused.ok ? null : refused.code, "request_from_other_browser");
      }
      assert.deepEqual(await answerSamlRequest(m.db, clinic, answering(clinic, id), now), { ok: true, value: "/dashboard" });
    });

    test("checking a request does not answer it", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const id = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, now);
      assert.equal((await checkSamlRequest(m.db, clinic, answering(clinic, id), now)).ok, true);
      assert.equal((await answerSamlRequest(m.db, clinic, answering(clinic, id), now)).ok, true);
      const checked = await checkSamlRequest(m.db, clinic, answering(clinic, id), now);
      assert.equal(checked.ok ? null : checked.code, "request_already_used");
    });

    test("pruning forgets requests an hour past their expiry, and only those", async () => {
      const clinic = await m.givenClinic();
      const start = new Date();
      const old = await issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, start);
      const recent = await issueSamlRequest(
        m.db,
        clinic.id,
        { returnTo: "/dashboard", browserBinding: browser },
        new Date(start.getTime() + 60_000),
      );
      const pastRetention = new Date(start.getTime() + REQUEST_LIFETIME_MS + REQUEST_RETENTION_MS + 30_000);
      await pruneSamlRequests(m.db, pastRetention);
      const left = await m.db.selectFrom("saml_requests").select("id").where("id", "in", [old, recent]).execute();
      assert.deepEqual(
        left.map((r) => r.id),
        [recent],
      );
    });

    test("pruning clears a backlog larger than one batch", async () => {
      const clinic = await m.givenClinic();
      const start = new Date();
      const issue = () => issueSamlRequest(m.db, clinic.id, { returnTo: "/dashboard", browserBinding: browser }, start);
      const backlog = await Promise.all(Array.from({ length: 7 }, issue));
      const pastRetention = new Date(start.getTime() + REQUEST_LIFETIME_MS + REQUEST_RETENTION_MS + 30_000);
      const pruned = await pruneSamlRequests(m.db, pastRetention, 3);
      assert.ok(pruned >= 7, `${pruned} rows pruned`);
      const left = await m.db.selectFrom("saml_requests").select("id").where("id", "in", backlog).execute();
      assert.deepEqual(left, []);
    });
  });
}
