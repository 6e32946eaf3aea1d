import type { Db } from "../../db/open.js";
import { newId, nowIso } from "../../ids.js";

export interface ScimRequestRecord {
  at: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  tokenId: string | null;
}

// What the settings page shows; older records are deleted as new ones arrive.
const KEPT_PER_CLINIC = 50;

/** Notes one SCIM request of the clinic (path without query, the outcome's code: never a body or a token). */
export async function recordScimRequest(db: Db, clinicId: string, request: Omit<ScimRequestRecord, "at">, now: Date): Promise<void> {
  await db
    .insertInto("scim_requests")
    .values({
      id: newId(),
      clinic_id: clinicId,
      token_id: request.tokenId,
      at: nowIso(now),
      method: request.method.slice(0, 10),
      path: request.path.slice(0, 200),
      status: request.status,
      outcome: request.outcome.slice(0, 200),
    })
    .execute();
  const keep = await db
    .selectFrom("scim_requests")
    .select("at")
    .where("clinic_id", "=", clinicId)
    .orderBy("at", "desc")
    .offset(KEPT_PER_CLINIC)
    .limit(1)
    .executeTakeFirst();
  if (keep) await db.deleteFrom("scim_requests").where("clinic_id", "=", clinicId).where("at", "<=", keep.at).execute();
}

export async function listRecentScimRequests(db: Db, clinicId: string, limit = 20): Promise<ScimRequestRecord[]> {
  const rows = await db
    .selectFrom("scim_requests")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ at: r.at, method: r.method, path: r.path, status: Number(r.status), outcome: r.outcome, tokenId: r.token_id }));
}

/** The display name of the group whose members are the clinic's admins, or null (groups then change no role). */
export async function findScimAdminGroup(db: Db, clinicId: string): Promise<string | null> {
  const row = await db.selectFrom("scim_settings").select("admin_group").where("clinic_id", "=", clinicId).executeTakeFirst();
  return row?.admin_group ?? null;
}

/** Sets which group means admin; takes effect on the next membership change the IdP pushes. */
export async function setScimAdminGroup(db: Db, clinicId: string, group: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("scim_settings").where("clinic_id", "=", clinicId).execute();
    await trx.insertInto("scim_settings").values({ clinic_id: clinicId, admin_group: group }).execute();
  });
}
