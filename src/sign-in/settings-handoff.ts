import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import { getClinic } from "../clinics/clinic.queries.js";
import type { Db } from "../db/open.js";
import { newSecret, nowIso, sha256Hex } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";
import { findMembershipOfUser, getUser, recordSignIn } from "../users/user.queries.js";
import { announceBreakGlassUse, BREAK_GLASS_SESSION_MS } from "./break-glass.js";

// The browser follows the redirect at once; a minute covers a slow network, not a link kept for later.
export const HANDOFF_LIFETIME_MS = 60_000;

/**
 * On the main site, for a signed-in admin: a one-time token that their clinic's host exchanges for a session limited
 * to the settings pages. 256 random bits, only the SHA-256 stored, bound to this admin and their clinic, one minute.
 */
export async function issueSettingsHandoff(
  db: Db,
  input: { userId: string; ip: string },
  now: Date,
): Promise<Result<{ token: string; clinic: Clinic }, "not_a_clinic_admin">> {
  const membership = await findMembershipOfUser(db, input.userId);
  if (membership?.role !== "admin" || membership.status !== "active") return err("not_a_clinic_admin");
  const token = newSecret();
  await db
    .insertInto("settings_handoffs")
    .values({
      token_hash: sha256Hex(token),
      user_id: input.userId,
      clinic_id: membership.clinicId,
      expires_at: nowIso(new Date(now.getTime() + HANDOFF_LIFETIME_MS)),
      used_at: null,
    })
    .execute();
  return ok({ token, clinic: await getClinic(db, membership.clinicId) });
}

/**
 * On the clinic host: exchanges a hand-off token once, before it expires, for its admin (still an active admin of
 * this clinic) for a settings-only session that ends within the hour. Audited and announced like a recovery code.
 */
export async function signInWithSettingsHandoff(
  db: Db,
  clinic: Clinic,
  input: { token: string; ip: string; previousSessionToken: string | null },
  policy: { session: SessionPolicy },
  now: Date,
): Promise<Result<{ token: string }, "handoff_not_valid">> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.token)) return err("handoff_not_valid");
  const hash = sha256Hex(input.token);
  const expiresAt = new Date(now.getTime() + BREAK_GLASS_SESSION_MS);
  const token = await db.transaction().execute(async (trx) => {
    // Used up by the update itself: a token replayed, even at the same moment, finds used_at already set.
    const spent = await trx
      .updateTable("settings_handoffs")
      .set({ used_at: nowIso(now) })
      .where("token_hash", "=", hash)
      .where("clinic_id", "=", clinic.id)
      .where("used_at", "is", null)
      .where("expires_at", ">", nowIso(now))
      .returning("user_id")
      .executeTakeFirst();
    if (!spent) return null;
    const membership = await findMembershipOfUser(trx, spent.user_id);
    // Demoted or removed between the click and the exchange: the token is worth nothing.
    if (membership?.clinicId !== clinic.id || membership.role !== "admin" || membership.status !== "active") return null;
    if (input.previousSessionToken) await deleteSession(trx, input.previousSessionToken);
    const token = await createSession(
      trx,
      { userId: spent.user_id, clinicId: clinic.id, authMethod: "handoff", scope: "settings", maxLifetimeMs: BREAK_GLASS_SESSION_MS },
      policy.session,
      now,
    );
    const user = await getUser(trx, spent.user_id);
    await recordSignIn(trx, user.id, "handoff", nowIso(now));
    await recordAuditEvent(
      trx,
      { actor: user.id, clinicId: clinic.id, action: "sign_in.handoff", target: user.email, ip: input.ip, outcome: "success" },
      now,
    );
    await announceBreakGlassUse(trx, clinic, { user, method: "handoff", reason: null, ip: input.ip, expiresAt }, now);
    return token;
  });
  if (token === null) {
    await recordAuditEvent(
      db,
      { actor: "anonymous", clinicId: clinic.id, action: "sign_in.handoff", ip: input.ip, outcome: "failure" },
      now,
    );
    return err("handoff_not_valid");
  }
  return ok({ token });
}
