import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";

/**
 * Keeps one notice for the next page a session renders (a one-time "flash"). Notices live in the database with
 * the session, never in a URL: a link anyone can craft must not make a page announce what did not happen.
 */
export async function keepFlash(db: Db, sessionId: string, notice: string, now: Date): Promise<void> {
  await db
    .insertInto("session_flashes")
    .values({ session_id: sessionId, notice, created_at: nowIso(now) })
    .onConflict((oc) => oc.column("session_id").doUpdateSet({ notice, created_at: nowIso(now) }))
    .execute();
}

/** The session's waiting notice, removed as it is read: a refresh shows nothing. */
export async function takeFlash(db: Db, sessionId: string): Promise<string | null> {
  const row = await db.deleteFrom("session_flashes").where("session_id", "=", sessionId).returning("notice").executeTakeFirst();
  return row?.notice ?? null;
}
