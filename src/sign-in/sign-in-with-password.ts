import { recordAuditEvent } from "../audit/audit.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { ok } from "../result.js";
import { ssoSignInOptions, type SsoSignInOptions } from "../sso/saml/connection.queries.js";
import { verifyPassword } from "../users/password.js";
import { findMembershipOfUser, findUserByEmail, recordSignIn } from "../users/user.queries.js";
import type { Membership, User } from "../users/user.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";
import { findSignInWait, forgetSignInFailures, recordSignInFailure } from "./sign-in-throttle.js";

/** A refusal, with the clinic's single sign-on options as read for it: the sign-in page shown again offers them. */
export type PasswordSignInRefusal = { ok: false; sso: SsoSignInOptions | null } & (
  { error: "sso_enforced" } | { error: "invalid_credentials" } | { error: "too_many_attempts"; retryAt: Date }
);
export type PasswordSignInError = PasswordSignInRefusal["error"];

export interface PasswordSignIn {
  token: string;
  user: User;
  membership: Membership | null;
}

/**
 * Signs a person in with email and password on one host: the main site (clinicId null) or a clinic, where only
 * its active members may sign in. Unknown email, wrong password and foreign clinic all answer the same error.
 * A clinic that enforces SSO takes no passwords on its own host; the main site still does (the fallback).
 * Throttled per account and client address (growing waits) and per address, so no one can lock an owner out.
 * The browser's previous session ends; the new session, the sign-in time and the audit event are one transaction.
 */
export async function signInWithPassword(
  db: Db,
  input: { email: string; password: string; clinicId: string | null; ip: string; previousSessionToken?: string | null },
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: PasswordSignIn } | PasswordSignInRefusal> {
  // Read before anything else: an enforced clinic refuses without looking at the account, counting or auditing.
  const sso = input.clinicId ? await ssoSignInOptions(db, input.clinicId) : null;
  if (sso?.enforced) return { ok: false, error: "sso_enforced", sso };
  const email = input.email.trim().toLowerCase();
  const audit = { actor: "anonymous", clinicId: input.clinicId, action: "sign_in.password", target: email, ip: input.ip };
  // Checked before the password, so a throttled guess learns nothing; refused attempts are not counted as failures.
  const retryAt = await findSignInWait(db, email, input.ip, now);
  if (retryAt) {
    await recordAuditEvent(db, { ...audit, outcome: "failure", detail: { reason: "throttled", retryAt: nowIso(retryAt) } }, now);
    return { ok: false, error: "too_many_attempts", retryAt, sso };
  }
  const user = await findUserByEmail(db, email);
  const passwordMatches = await verifyPassword(user?.passwordHash ?? null, input.password);
  const membership = user ? await findMembershipOfUser(db, user.id) : null;
  const reason = !user
    ? "unknown_email"
    : !passwordMatches
      ? "wrong_password"
      : membership && membership.status !== "active"
        ? "membership_not_active"
        : input.clinicId !== null && membership?.clinicId !== input.clinicId
          ? "not_a_member_of_this_clinic"
          : null;
  if (!user || reason) {
    await recordSignInFailure(db, email, input.ip, now);
    await recordAuditEvent(db, { ...audit, outcome: "failure", detail: { reason } }, now);
    return { ok: false, error: "invalid_credentials", sso };
  }
  const token = await db.transaction().execute(async (trx) => {
    await forgetSignInFailures(trx, email, input.ip);
    // Session fixation: whatever session the browser had before ends; the new token replaces it.
    if (input.previousSessionToken) await deleteSession(trx, input.previousSessionToken);
    const token = await createSession(trx, { userId: user.id, clinicId: input.clinicId, authMethod: "password" }, policy, now);
    if (membership) await recordSignIn(trx, user.id, "password", nowIso(now));
    await recordAuditEvent(
      trx,
      {
        ...audit,
        actor: user.id,
        clinicId: input.clinicId ?? membership?.clinicId ?? null,
        outcome: "success",
        detail: { site: input.clinicId ? "clinic" : "main" },
      },
      now,
    );
    return token;
  });
  const { passwordHash: _, ...publicUser } = user;
  return ok({ token, user: publicUser, membership });
}
