import { timingSafeEqual } from "node:crypto";
import { recordAuditEvent, type Actor } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { newId, newSecret, nowIso, sha256Hex } from "../../ids.js";
import { err, ok, type Result } from "../../result.js";

export interface ScimToken {
  id: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

// Enough for a rotation (old and new live together) and a spare; a leak of the list is bounded too.
export const MAX_ACTIVE_SCIM_TOKENS = 5;

/**
 * A new bearer token for the clinic's SCIM endpoint: 256 random bits, so a SHA-256 of it is all we keep
 * (no password hashing needed: it cannot be guessed from its hash). The token is returned once, here.
 */
export async function generateScimToken(
  db: Db,
  clinic: Clinic,
  by: Actor,
  now: Date,
): Promise<Result<{ id: string; token: string }, "too_many_scim_tokens">> {
  return db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom("scim_tokens")
      .select("id")
      .where("clinic_id", "=", clinic.id)
      .where("revoked_at", "is", null)
      .execute();
    if (live.length >= MAX_ACTIVE_SCIM_TOKENS) return err("too_many_scim_tokens");
    const token = newSecret();
    const id = newId();
    await trx
      .insertInto("scim_tokens")
      .values({
        id,
        clinic_id: clinic.id,
        token_hash: sha256Hex(token),
        created_at: nowIso(now),
        created_by: by.actor,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    await recordAuditEvent(trx, { ...by, clinicId: clinic.id, action: "scim.token_create", target: id, outcome: "success" }, now);
    return ok({ id, token });
  });
}

/** Revokes one token of this clinic at once; a token of another clinic is not found. */
export async function revokeScimToken(
  db: Db,
  clinic: Clinic,
  tokenId: string,
  by: Actor,
  now: Date,
): Promise<Result<null, "scim_token_not_found">> {
  return db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable("scim_tokens")
      .set({ revoked_at: nowIso(now) })
      .where("id", "=", tokenId)
      .where("clinic_id", "=", clinic.id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (Number(revoked.numUpdatedRows) === 0) return err("scim_token_not_found");
    await recordAuditEvent(trx, { ...by, clinicId: clinic.id, action: "scim.token_revoke", target: tokenId, outcome: "success" }, now);
    return ok(null);
  });
}

/** The clinic's live tokens, newest first (never the tokens themselves: they are not kept). */
export async function listScimTokens(db: Db, clinicId: string): Promise<ScimToken[]> {
  const rows = await db
    .selectFrom("scim_tokens")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .where("revoked_at", "is", null)
    .orderBy("created_at", "desc")
    .execute();
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at, createdBy: r.created_by, lastUsedAt: r.last_used_at }));
}

/**
 * The id of the live token of this clinic that the bearer value is, or null. The lookup is by hash and clinic
 * together, so a token of clinic A is unknown on clinic B's host; the final comparison is constant-time.
 */
export async function authenticateScimToken(db: Db, clinicId: string, bearer: string, now: Date): Promise<string | null> {
  const hash = sha256Hex(bearer);
  const row = await db
    .selectFrom("scim_tokens")
    .select(["id", "token_hash", "last_used_at"])
    .where("token_hash", "=", hash)
    .where("clinic_id", "=", clinicId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash, "hex"), Buffer.from(hash, "hex"))) return null;
  // Written at most once a minute: an IdP's sync burst would otherwise update the row on every request.
  if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    await db
      .updateTable("scim_tokens")
      .set({ last_used_at: nowIso(now) })
      .where("id", "=", row.id)
      .execute();
  }
  return row.id;
}
