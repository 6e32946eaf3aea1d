import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import { notificationDedupeKey, type ClinicNotification } from "./notification.js";
import type { NotificationTable } from "./notification.table.js";

/** A notice as an admin sees it. */
export interface StoredNotification {
  id: string;
  notification: ClinicNotification;
  createdAt: string;
}

function rowToStoredNotification(row: NotificationTable): StoredNotification {
  return { id: row.id, notification: JSON.parse(row.detail) as ClinicNotification, createdAt: row.created_at };
}

/** Adds the notice unless an open one says the same; true when it was added (and should be sent on). */
export async function recordNotification(db: Db, clinicId: string, notification: ClinicNotification, now: Date): Promise<boolean> {
  const dedupeKey = notificationDedupeKey(notification);
  if (dedupeKey !== null) {
    const open = await db
      .selectFrom("notifications")
      .select("id")
      .where("clinic_id", "=", clinicId)
      .where("dedupe_key", "=", dedupeKey)
      .where("dismissed_at", "is", null)
      .executeTakeFirst();
    if (open) return false;
  }
  await db
    .insertInto("notifications")
    .values({
      id: newId(),
      clinic_id: clinicId,
      kind: notification.kind,
      dedupe_key: dedupeKey,
      detail: JSON.stringify(notification),
      actor_user_id: notification.kind === "break_glass_used" ? notification.userId : null,
      created_at: nowIso(now),
      dismissed_at: null,
      dismissed_by: null,
    })
    .execute();
  return true;
}

// A page shows the newest few; the rest wait behind them.
const SHOWN_AT_ONCE = 10;

/** The clinic's open notices for this admin, newest first (an admin is not told of their own break-glass use). */
export async function listOpenNotifications(db: Db, clinicId: string, forUserId: string): Promise<StoredNotification[]> {
  const rows = await db
    .selectFrom("notifications")
    .selectAll()
    .where("clinic_id", "=", clinicId)
    .where("dismissed_at", "is", null)
    .where((eb) => eb.or([eb("actor_user_id", "is", null), eb("actor_user_id", "!=", forUserId)]))
    .orderBy("created_at", "desc")
    .limit(SHOWN_AT_ONCE)
    .execute();
  return rows.map(rowToStoredNotification);
}

/** Dismisses one open notice of this clinic for every admin; false when there is no such open notice. */
export async function dismissNotification(db: Db, clinicId: string, id: string, byUserId: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("notifications")
    .set({ dismissed_at: nowIso(now), dismissed_by: byUserId })
    .where("id", "=", id)
    .where("clinic_id", "=", clinicId)
    .where("dismissed_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
