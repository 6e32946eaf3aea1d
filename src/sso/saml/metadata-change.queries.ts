import type { Db } from "../../db/open.js";
import { newId, nowIso } from "../../ids.js";
import type { IdpSettings } from "./connection.js";
import { deserializeIdpSettings, serializeIdpSettings } from "./metadata-diff.js";
import type { SamlMetadataChangeTable, SamlMetadataCheckTable } from "./metadata-change.table.js";

/** A metadata change as an admin reviews it. */
export interface MetadataChange {
  id: string;
  metadataUrl: string;
  before: IdpSettings;
  after: IdpSettings;
  status: SamlMetadataChangeTable["status"];
  foundAt: string;
}

export interface MetadataCheck {
  checkedAt: string;
  outcome: SamlMetadataCheckTable["outcome"];
  problem: string | null;
}

function rowToMetadataChange(row: SamlMetadataChangeTable): MetadataChange {
  return {
    id: row.id,
    metadataUrl: row.metadata_url,
    before: deserializeIdpSettings(row.before_settings),
    after: deserializeIdpSettings(row.after_settings),
    status: row.status,
    foundAt: row.found_at,
  };
}

export async function findPendingMetadataChange(db: Db, clinicId: string): Promise<MetadataChange | null> {
  const row = await db
    .selectFrom("saml_metadata_changes")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .where("status", "=", "pending")
    .orderBy("found_at", "desc")
    .executeTakeFirst();
  return row ? rowToMetadataChange(row) : null;
}

/** The last change an admin rejected, so the same difference is not raised again every day. */
export async function findLatestRejectedMetadataChange(db: Db, clinicId: string): Promise<MetadataChange | null> {
  const row = await db
    .selectFrom("saml_metadata_changes")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .where("status", "=", "rejected")
    .orderBy("decided_at", "desc")
    .executeTakeFirst();
  return row ? rowToMetadataChange(row) : null;
}

/** Replaces any pending change of the clinic with this one (only the latest metadata can be approved). */
export async function storePendingMetadataChange(
  db: Db,
  clinicId: string,
  change: { metadataUrl: string; before: IdpSettings; after: IdpSettings },
  now: Date,
): Promise<MetadataChange> {
  await closePendingMetadataChanges(db, clinicId, now);
  const id = newId();
  await db
    .insertInto("saml_metadata_changes")
    .values({
      id,
      clinic_id: clinicId,
      metadata_url: change.metadataUrl,
      before_settings: serializeIdpSettings(change.before),
      after_settings: serializeIdpSettings(change.after),
      status: "pending",
      found_at: nowIso(now),
      decided_at: null,
      decided_by: null,
    })
    .execute();
  return (await findPendingMetadataChange(db, clinicId))!;
}

/** Pending changes the latest metadata no longer says become "superseded". */
export async function closePendingMetadataChanges(db: Db, clinicId: string, now: Date): Promise<void> {
  await db
    .updateTable("saml_metadata_changes")
    .set({ status: "superseded", decided_at: nowIso(now), decided_by: "system" })
    .where("clinic_id", "=", clinicId)
    .where("status", "=", "pending")
    .execute();
}

/** Marks the pending change decided; false when it is no longer pending (decided meanwhile, or superseded). */
export async function decideMetadataChange(
  db: Db,
  clinicId: string,
  id: string,
  status: "approved" | "rejected",
  by: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("saml_metadata_changes")
    .set({ status, decided_at: nowIso(now), decided_by: by })
    .where("id", "=", id)
    .where("clinic_id", "=", clinicId)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordMetadataCheck(db: Db, clinicId: string, check: MetadataCheck): Promise<void> {
  const values = { checked_at: check.checkedAt, outcome: check.outcome, problem: check.problem };
  await db
    .insertInto("saml_metadata_checks")
    .values({ clinic_id: clinicId, ...values })
    .onConflict((oc) => oc.column("clinic_id").doUpdateSet(values))
    .execute();
}

export async function findMetadataCheck(db: Db, clinicId: string): Promise<MetadataCheck | null> {
  const row = await db.selectFrom("saml_metadata_checks").selectAll().where("clinic_id", "=", clinicId).executeTakeFirst();
  return row ? { checkedAt: row.checked_at, outcome: row.outcome, problem: row.problem } : null;
}
