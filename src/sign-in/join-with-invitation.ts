import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { ok, type Result } from "../result.js";
import { acceptInvitation, type InvitationError, type PendingInvitation } from "../users/invitations.js";
import { findUserByEmail, recordSignIn } from "../users/user.queries.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";

/**
 * Accepts an invitation and, when the person chose a password, signs them in on the clinic's host at once:
 * they just proved they hold the link and set the password, so asking for it again would add nothing.
 * Those who chose SSO get no session here: their IdP must vouch for them first. The browser's previous session
 * ends; the new session, the sign-in time and the audit event are one transaction.
 */
export async function joinWithInvitation(
  db: Db,
  clinic: Clinic,
  token: string,
  input: { password?: string | undefined; ip: string; previousSessionToken: string | null },
  policy: SessionPolicy,
  now: Date,
): Promise<Result<PendingInvitation & { sessionToken: string | null }, InvitationError>> {
  const accepted = await acceptInvitation(db, clinic, token, input, now);
  if (!accepted.ok) return accepted;
  if (input.password === undefined) return ok({ ...accepted.value, sessionToken: null });
  const user = await findUserByEmail(db, accepted.value.email);
  if (!user) throw new Error("an accepted invitation has no user");
  const sessionToken = await db.transaction().execute(async (trx) => {
    // Session fixation: whatever session this browser had ends; the new one replaces it.
    if (input.previousSessionToken) await deleteSession(trx, input.previousSessionToken);
    const token = await createSession(trx, { userId: user.id, clinicId: clinic.id, authMethod: "password" }, policy, now);
    await recordSignIn(trx, user.id, "password", nowIso(now));
    await recordAuditEvent(
      trx,
      { actor: user.id, clinicId: clinic.id, action: "sign_in.invitation", target: user.email, ip: input.ip, outcome: "success" },
      now,
    );
    return token;
  });
  return ok({ ...accepted.value, sessionToken });
}
