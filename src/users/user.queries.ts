import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { type Membership, type User, rowToMembership, rowToUser } from "./user.js";

export interface Member {
  user: User;
  membership: Membership;
}

export async function findUserByEmail(db: Db, email: string): Promise<(User & { passwordHash: string | null }) | null> {
  const row = await db.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
  return row ? { ...rowToUser(row), passwordHash: row.password_hash } : null;
}

/** The account with this address and its membership (null when it has none), in one statement for the sign-in path. */
export async function findUserAndMembershipByEmail(db: Db, email: string): Promise<{ user: User; membership: Membership | null } | null> {
  const row = await db
    .selectFrom("users")
    .leftJoin("memberships", "memberships.user_id", "users.id")
    .selectAll("users")
    .select([
      "memberships.id as m_id",
      "memberships.user_id as m_user_id",
      "memberships.clinic_id as m_clinic_id",
      "memberships.role as m_role",
      "memberships.status as m_status",
      "memberships.created_at as m_created_at",
      "memberships.last_sign_in_at as m_last_sign_in_at",
      "memberships.last_sign_in_method as m_last_sign_in_method",
    ])
    .where("users.email", "=", email.toLowerCase())
    .executeTakeFirst();
  if (!row) return null;
  const membership =
    row.m_id === null || row.m_user_id === null || row.m_clinic_id === null || row.m_role === null || row.m_status === null
      ? null
      : rowToMembership({
          id: row.m_id,
          user_id: row.m_user_id,
          clinic_id: row.m_clinic_id,
          role: row.m_role,
          status: row.m_status,
          created_at: row.m_created_at ?? "",
          last_sign_in_at: row.m_last_sign_in_at,
          last_sign_in_method: row.m_last_sign_in_method,
        });
  return { user: rowToUser(row), membership };
}

export async function getUser(db: Db, id: string): Promise<User> {
  return rowToUser(await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
}

export async function findMembershipOfUser(db: Db, userId: string): Promise<Membership | null> {
  const row = await db.selectFrom("memberships").selectAll().where("user_id", "=", userId).executeTakeFirst();
  return row ? rowToMembership(row) : null;
}

export async function recordSignIn(db: Db, userId: string, method: string, at: string): Promise<void> {
  await prepareSignInRecord(db, userId, method, at).execute();
}

/** recordSignIn's update, not yet run (see writeTogether). */
export function prepareSignInRecord(db: Db, userId: string, method: string, at: string) {
  return db.updateTable("memberships").set({ last_sign_in_at: at, last_sign_in_method: method }).where("user_id", "=", userId);
}

// Long enough for the person to come back to an open tab; short enough that the table stays tiny.
const ENDED_SESSION_NOTE_DAYS = 14;

export type SessionEndReason = "removed";

/**
 * Ends every session of a person at once, on every host: removing someone from a clinic takes effect now.
 * With a reason, the sign-in page can later say why (the ended sessions' hashed ids are kept for a while).
 */
export async function deleteSessionsOfUser(db: Db, userId: string, reason: SessionEndReason, now: Date): Promise<void> {
  if (reason) {
    const ids = await db.selectFrom("sessions").select("id").where("user_id", "=", userId).execute();
    if (ids.length) {
      await db
        .insertInto("ended_sessions")
        .values(ids.map(({ id }) => ({ id, reason, ended_at: nowIso(now) })))
        .execute();
    }
    const forgetBefore = nowIso(new Date(now.getTime() - ENDED_SESSION_NOTE_DAYS * 86_400_000));
    await db.deleteFrom("ended_sessions").where("ended_at", "<", forgetBefore).execute();
  }
  await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
}
