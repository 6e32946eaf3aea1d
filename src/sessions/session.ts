import type { Db } from "../db/open.js";
import type { AuthMethod } from "./auth-method.js";
import type { SessionEndReason } from "../users/user.queries.js";
import { newSecret, nowIso, sha256Hex } from "../ids.js";
import type { Membership, User } from "../users/user.js";
import { getUser, findMembershipOfUser } from "../users/user.queries.js";

export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

export type { AuthMethod };

/** What a session may open: everything its member may, or only the clinic settings pages (break-glass access). */
export type SessionScope = "full" | "settings";

export interface Session {
  id: string;
  userId: string;
  clinicId: string | null;
  authMethod: AuthMethod;
  scope: SessionScope;
  createdAt: string;
  expiresAt: string;
}

export interface ValidSession {
  session: Session;
  user: User;
  membership: Membership | null;
}

/**
 * How stale last_seen_at may get before a request rewrites it. Writing it on every request would turn each page
 * view into a write; but a session is judged by it, so it is refreshed well within the idle timeout: at most a
 * minute, and a quarter of the timeout when that is shorter (a 1-minute timeout is refreshed every 15 s).
 */
function lastSeenWriteIntervalMs(policy: SessionPolicy): number {
  return Math.min(60_000, (policy.idleMinutes * 60_000) / 4);
}

/**
 * Starts a session bound to one host (a clinic, or the main site when clinicId is null) and returns the
 * cookie token. Only its SHA-256 is stored. A limited session may be given a shorter life than the policy's.
 */
export async function createSession(db: Db, input: NewSession, policy: SessionPolicy, now: Date): Promise<string> {
  const { token, write } = prepareSession(db, input, policy, now);
  await write.execute();
  return token;
}

export interface NewSession {
  userId: string;
  clinicId: string | null;
  authMethod: AuthMethod;
  scope?: SessionScope;
  maxLifetimeMs?: number;
}

/** createSession's token and its insert, not yet run: for a sign-in that writes its records together (writeTogether). */
export function prepareSession(db: Db, input: NewSession, policy: SessionPolicy, now: Date) {
  const token = newSecret();
  const lifetimeMs = Math.min(policy.absoluteHours * 3_600_000, input.maxLifetimeMs ?? Number.POSITIVE_INFINITY);
  const write = db.insertInto("sessions").values({
    id: sha256Hex(token),
    user_id: input.userId,
    clinic_id: input.clinicId,
    auth_method: input.authMethod,
    scope: input.scope ?? "full",
    created_at: nowIso(now),
    last_seen_at: nowIso(now),
    expires_at: nowIso(new Date(now.getTime() + lifetimeMs)),
  });
  return { token, write };
}

/**
 * The session behind a cookie token, if it is alive, belongs to this host, and its member is still active.
 * Anything else deletes the session and answers null.
 */
export async function validateSession(
  db: Db,
  token: string,
  clinicId: string | null,
  policy: SessionPolicy,
  now: Date,
): Promise<ValidSession | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const id = sha256Hex(token);
  const row = await db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) return null;
  // A session made on clinic A's host is worthless on clinic B's host or the main site, even if the cookie got there.
  if (row.clinic_id !== clinicId) return null;
  const idleDeadline = new Date(row.last_seen_at).getTime() + policy.idleMinutes * 60_000;
  if (now.getTime() >= idleDeadline || now.toISOString() >= row.expires_at) {
    await deleteSession(db, token);
    return null;
  }
  const membership = await findMembershipOfUser(db, row.user_id);
  if (membership && membership.status !== "active") {
    await deleteSession(db, token);
    return null;
  }
  if (now.getTime() - new Date(row.last_seen_at).getTime() >= lastSeenWriteIntervalMs(policy)) {
    await db
      .updateTable("sessions")
      .set({ last_seen_at: nowIso(now) })
      .where("id", "=", id)
      .execute();
  }
  const session: Session = {
    id,
    userId: row.user_id,
    clinicId: row.clinic_id,
    authMethod: row.auth_method,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
  return { session, user: await getUser(db, row.user_id), membership };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await prepareSessionEnd(db, token).execute();
}

/** deleteSession's delete, not yet run (see writeTogether). */
export function prepareSessionEnd(db: Db, token: string) {
  return db.deleteFrom("sessions").where("id", "=", sha256Hex(token));
}

/** Why the session behind this cookie token was ended early, if it was; null for unknown or simply expired ones. */
export async function findSessionEndReason(db: Db, token: string): Promise<SessionEndReason | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = await db.selectFrom("ended_sessions").select("reason").where("id", "=", sha256Hex(token)).executeTakeFirst();
  return row?.reason ?? null;
}
