import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { CLEAN_UP_BATCH, deleteInBatches } from "../../db/delete-in-batches.js";
import { nowIso } from "../../ids.js";
import type { VerifiedAssertion } from "./verify-response.js";

type Step<T> = { ok: true; value: T } | { ok: false; code: "assertion_replayed"; reason: string };

/**
 * The replay cache, in the shared database: an assertion ID is accepted once per clinic while it could be valid
 * (until its NotOnOrAfter plus the skew we grant), whichever app instance receives it.
 */
export async function rememberAssertion(
  db: Db,
  clinic: Clinic,
  assertion: Pick<VerifiedAssertion, "assertionId" | "notOnOrAfter">,
  now: Date,
): Promise<Step<null>> {
  // One statement, so it can run inside the sign-in's transaction: a new ID is inserted; a known one is taken over
  // only if its NotOnOrAfter has passed (as if it had been pruned); a live one changes nothing, and that is a replay.
  const remembered = await db
    .insertInto("saml_assertions_seen")
    .values({ clinic_id: clinic.id, assertion_id: assertion.assertionId, expires_at: nowIso(assertion.notOnOrAfter) })
    .onConflict((conflict) =>
      conflict
        .columns(["clinic_id", "assertion_id"])
        .doUpdateSet({ expires_at: (eb) => eb.ref("excluded.expires_at") })
        .where("saml_assertions_seen.expires_at", "<", nowIso(now)),
    )
    .executeTakeFirst();
  return Number(remembered.numInsertedOrUpdatedRows ?? 0n) > 0 ? { ok: true, value: null } : replayed(assertion.assertionId);
}

/** Whether rememberAssertion would accept this assertion now, without remembering it. */
export async function checkAssertionUnseen(
  db: Db,
  clinic: Clinic,
  assertion: Pick<VerifiedAssertion, "assertionId">,
  now: Date,
): Promise<Step<null>> {
  const seen = await db
    .selectFrom("saml_assertions_seen")
    .select("expires_at")
    .where("clinic_id", "=", clinic.id)
    .where("assertion_id", "=", assertion.assertionId)
    .where("expires_at", ">=", nowIso(now))
    .executeTakeFirst();
  return seen ? replayed(assertion.assertionId) : { ok: true, value: null };
}

/** Forgets assertions that could no longer be accepted anyway: past their NotOnOrAfter (the periodic clean-up). */
export async function pruneSeenAssertions(db: Db, now: Date, batch = CLEAN_UP_BATCH): Promise<number> {
  const expired = db
    .selectFrom("saml_assertions_seen")
    .select(["clinic_id", "assertion_id"])
    .where("expires_at", "<", nowIso(now));
  return deleteInBatches(
    (limit) =>
      db
        .deleteFrom("saml_assertions_seen")
        .where(({ eb, refTuple }) => eb(refTuple("clinic_id", "assertion_id"), "in", expired.limit(limit).$asTuple("clinic_id", "assertion_id")))
        .executeTakeFirstOrThrow(),
    batch,
  );
}

function replayed(assertionId: string): Step<never> {
  return {
    ok: false,
    code: "assertion_replayed",
    reason: `Assertion ${JSON.stringify(assertionId.slice(0, 80))} was already used to sign in (replay)`,
  };
}
