import type { Db } from "../../db/open.js";
import { newId } from "../../ids.js";
import type { SsoEventTable } from "./connection.table.js";

/** One SSO attempt as the clinic's admins and the operator see it: a row of sso_events without its keys. */
export type SsoEvent = Omit<SsoEventTable, "id" | "clinic_id">;

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
