import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";

/** Who did something and from where: a user id, "operator", "operator-cli" or "system", and their IP if any. */
export interface Actor {
  actor: string;
  ip: string | null;
}

export interface AuditEvent {
  actor: string;
  clinicId: string | null;
  action: string;
  target?: string | null;
  ip?: string | null;
  outcome: "success" | "failure";
  /** Non-secret details only: never a password, token or assertion. */
  detail?: Record<string, string | number | boolean | null>;
}

export interface AuditRecord extends Required<Omit<AuditEvent, "detail">> {
  id: string;
  at: string;
  detail: Record<string, unknown>;
}

/** Appends to the audit log; there is deliberately no update or delete. */
export async function recordAuditEvent(db: Db, event: AuditEvent, now: Date): Promise<void> {
  await prepareAuditEvent(db, event, now).execute();
}

/** recordAuditEvent's insert, not yet run (see writeTogether). */
export function prepareAuditEvent(db: Db, event: AuditEvent, now: Date) {
  return db.insertInto("audit_events").values({
    id: newId(),
    at: nowIso(now),
    actor: event.actor,
    clinic_id: event.clinicId,
    action: event.action,
    target: event.target ?? null,
    ip: event.ip ?? null,
    outcome: event.outcome,
    detail: JSON.stringify(event.detail ?? {}),
  });
}

export async function listAuditEvents(db: Db, clinicId: string, limit = 100): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom("audit_events")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    clinicId: r.clinic_id,
    action: r.action,
    target: r.target,
    ip: r.ip,
    outcome: r.outcome,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}
