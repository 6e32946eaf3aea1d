import type { Db } from "../../db/open.js";
import { newId } from "../../ids.js";

export interface SsoEvent {
  at: string;
  outcome: "success" | "failure";
  code: string;
  /** The precise technical reason, for the clinic's admins and the operator. */
  reason: string;
  email: string | null;
  reference: string;
  ip: string | null;
}

export async function recordSsoEvent(db: Db, clinicId: string, event: SsoEvent): Promise<void> {
  await db
    .insertInto("sso_events")
    .values({ id: newId(), clinic_id: clinicId, ...event })
    .execute();
}

export async function listSsoEvents(
  db: Db,
  clinicId: string,
  options: { limit: number; outcome?: "success" | "failure" },
): Promise<SsoEvent[]> {
  let query = db
    .selectFrom("sso_events")
    .select(["at", "outcome", "code", "reason", "email", "reference", "ip"])
    .where("clinic_id", "=", clinicId);
  if (options.outcome) query = query.where("outcome", "=", options.outcome);
  return query.orderBy("at", "desc").limit(options.limit).execute();
}
