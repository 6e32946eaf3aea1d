import type { Db } from "../db/open.js";
import { type Membership, type User, rowToMembership, rowToUser } from "./user.js";

export interface Member {
  user: User;
  membership: Membership;
}

export async function findUserByEmail(db: Db, email: string): Promise<(User & { passwordHash: string | null }) | null> {
  const row = await db.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
  return row ? { ...rowToUser(row), passwordHash: row.password_hash } : null;
}

export async function getUser(db: Db, id: string): Promise<User> {
  return rowToUser(await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
}

export async function findMembershipOfUser(db: Db, userId: string): Promise<Membership | null> {
  const row = await db.selectFrom("memberships").selectAll().where("user_id", "=", userId).executeTakeFirst();
  return row ? rowToMembership(row) : null;
}

export async function recordSignIn(db: Db, userId: string, method: string, at: string): Promise<void> {
  await db.updateTable("memberships").set({ last_sign_in_at: at, last_sign_in_method: method }).where("user_id", "=", userId).execute();
}

/** Ends every session of a person at once, on every host: removing someone from a clinic takes effect now. */
export async function deleteSessionsOfUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
}
