import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { err, ok } from "../result.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";
import { checkStatedReason } from "../users/identity-text.js";
import { spendRecoveryCode } from "../users/recovery-codes.js";
import { findMembershipOfUser, findUserByEmail, recordSignIn } from "../users/user.queries.js";
import type { Notifier } from "../notifications/notifier.js";
import { announceBreakGlassUse, BREAK_GLASS_SESSION_MS, tellOtherAdminsOfRecoveryCodeUse } from "./break-glass.js";
import { findSignInWait, forgetSignInFailures, recordSignInFailure } from "./sign-in-throttle.js";

export type RecoverySignInRefusal =
  | { ok: false; error: "reason_required"; message: string }
  | { ok: false; error: "invalid_code" }
  | { ok: false; error: "too_many_attempts"; retryAt: Date };

/**
 * Break-glass sign-in on a clinic host without the IdP: an active admin of this clinic, one of their unused
 * recovery codes (spent here), and a stated reason. Throttled like password sign-in, under its own account key.
 * The session opens only the settings pages and ends within the hour; the use is audited, and every other admin told.
 */
export async function signInWithRecoveryCode(
  db: Db,
  clinic: Clinic,
  input: { email: string; code: string; reason: string; ip: string; previousSessionToken: string | null },
  policy: { session: SessionPolicy; notifier: Notifier },
  now: Date,
): Promise<{ ok: true; value: { token: string; expiresAt: Date } } | RecoverySignInRefusal> {
  const email = input.email.trim().toLowerCase();
  // HIPAA's emergency access procedure: the person says why; nothing is checked or counted without it.
  const reason = checkStatedReason(input.reason);
  if (!reason.ok) return { ok: false, error: "reason_required", message: reason.error };
  // Its own throttle key: guessing codes never slows the same person's password sign-in, nor the other way round.
  const account = `recovery-code:${email}`;
  const audit = { actor: "anonymous", clinicId: clinic.id, action: "sign_in.recovery_code", target: email, ip: input.ip };
  const retryAt = await findSignInWait(db, account, input.ip, now);
  if (retryAt) {
    await recordAuditEvent(db, { ...audit, outcome: "failure", detail: { reason: "throttled", retryAt: nowIso(retryAt) } }, now);
    return { ok: false, error: "too_many_attempts", retryAt };
  }
  const user = await findUserByEmail(db, email);
  const membership = user ? await findMembershipOfUser(db, user.id) : null;
  const isAdminHere = membership?.clinicId === clinic.id && membership.role === "admin" && membership.status === "active";
  const expiresAt = new Date(now.getTime() + BREAK_GLASS_SESSION_MS);
  const signedIn = await db.transaction().execute(async (trx) => {
    // Spent inside the transaction: a sign-in that fails later leaves the code unused.
    if (!user || !isAdminHere || !(await spendRecoveryCode(trx, { userId: user.id, clinicId: clinic.id, typed: input.code }, now)))
      return null;
    await forgetSignInFailures(trx, account, input.ip);
    // Session fixation: whatever session the browser had before ends; the new token replaces it.
    if (input.previousSessionToken) await deleteSession(trx, input.previousSessionToken);
    const token = await createSession(
      trx,
      { userId: user.id, clinicId: clinic.id, authMethod: "recovery_code", scope: "settings", maxLifetimeMs: BREAK_GLASS_SESSION_MS },
      policy.session,
      now,
    );
    await recordSignIn(trx, user.id, "recovery_code", nowIso(now));
    await recordAuditEvent(trx, { ...audit, actor: user.id, outcome: "success", detail: { reason: reason.value } }, now);
    const { passwordHash: _, ...publicUser } = user;
    await announceBreakGlassUse(
      trx,
      clinic,
      { user: publicUser, method: "recovery_code", reason: reason.value, ip: input.ip, expiresAt },
      now,
    );
    return { token, user: publicUser };
  });
  if (signedIn === null) {
    await recordSignInFailure(db, account, input.ip, now);
    const why = !user ? "unknown_email" : !isAdminHere ? "not_an_admin_of_this_clinic" : "wrong_or_used_code";
    await recordAuditEvent(db, { ...audit, outcome: "failure", detail: { reason: why } }, now);
    return err("invalid_code");
  }
  await tellOtherAdminsOfRecoveryCodeUse(db, policy.notifier, clinic, { user: signedIn.user, reason: reason.value }, now);
  return ok({ token: signedIn.token, expiresAt });
}
