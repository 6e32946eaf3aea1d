import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "../../../test/support/databases.js";
import { openMigratedDatabase, type MigratedDatabase } from "../../../test/support/test-database.js";
import { checkAssertionUnseen, pruneSeenAssertions, rememberAssertion } from "./replay-cache.js";

for (const dialect of testDialects()) {
  describe(`SAML replay cache (${dialect})`, () => {
    let m: MigratedDatabase;
    before(async () => (m = await openMigratedDatabase(dialect)));
    after(() => m.close());

    const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

    test("accepts an assertion ID once per clinic while it could be valid", async () => {
      const clinic = await m.givenClinic();
      const other = await m.givenClinic();
      const now = new Date();
      const assertion = { assertionId: "_assertion-once", notOnOrAfter: at(now, 300_000) };
      assert.equal((await rememberAssertion(m.db, clinic, assertion, now)).ok, true);
      const replay = await rememberAssertion(m.db, clinic, assertion, at(now, 299_000));
      assert.equal(replay.ok ? null : replay.code, "assertion_replayed");
      assert.equal((await rememberAssertion(m.db, other, assertion, now)).ok, true, "another clinic keeps its own cache");
    });

    test("two deliveries of one assertion at once: exactly one is accepted", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const assertion = { assertionId: "_assertion-race", notOnOrAfter: at(now, 300_000) };
      const results = await Promise.all([1, 2, 3].map(() => rememberAssertion(m.db, clinic, assertion, now)));
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    test("accepts an ID again once its NotOnOrAfter has passed, before any pruning, and checking remembers nothing", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      const assertion = { assertionId: "_assertion-expiring", notOnOrAfter: at(now, 60_000) };
      assert.equal((await checkAssertionUnseen(m.db, clinic, assertion, now)).ok, true);
      assert.equal((await rememberAssertion(m.db, clinic, assertion, now)).ok, true, "checking did not remember it");
      assert.equal((await checkAssertionUnseen(m.db, clinic, assertion, at(now, 59_000))).ok, false);
      const again = { assertionId: "_assertion-expiring", notOnOrAfter: at(now, 600_000) };
      assert.equal((await rememberAssertion(m.db, clinic, again, at(now, 61_000))).ok, true, "past its NotOnOrAfter, the ID is free");
      assert.equal((await rememberAssertion(m.db, clinic, again, at(now, 62_000))).ok, false, "and now remembered until its new one");
    });

    test("pruning forgets IDs past their NotOnOrAfter, and only those", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      assert.equal((await rememberAssertion(m.db, clinic, { assertionId: "_expiring", notOnOrAfter: at(now, 60_000) }, now)).ok, true);
      const later = { assertionId: "_another", notOnOrAfter: at(now, 600_000) };
      assert.equal((await rememberAssertion(m.db, clinic, later, now)).ok, true);
      await pruneSeenAssertions(m.db, at(now, 61_000));
      const rows = await m.db.selectFrom("saml_assertions_seen").select("assertion_id").where("clinic_id", "=", clinic.id).execute();
      assert.deepEqual(
        rows.map((r) => r.assertion_id),
        ["_another"],
        "the expired ID was pruned",
      );
    });

    test("pruning clears a backlog larger than one batch", async () => {
      const clinic = await m.givenClinic();
      const now = new Date();
      for (let i = 0; i < 7; i++) {
        assert.equal((await rememberAssertion(m.db, clinic, { assertionId: `_backlog-${i}`, notOnOrAfter: at(now, 60_000) }, now)).ok, true);
      }
      await rememberAssertion(m.db, clinic, { assertionId: "_kept", notOnOrAfter: at(now, 600_000) }, now);
      const pruned = await pruneSeenAssertions(m.db, at(now, 61_000), 3);
      assert.ok(pruned >= 7, `${pruned} rows pruned`);
      const rows = await m.db.selectFrom("saml_assertions_seen").select("assertion_id").where("clinic_id", "=", clinic.id).execute();
      assert.deepEqual(
        rows.map((r) => r.assertion_id),
        ["_kept"],
      );
    });
  });
}
