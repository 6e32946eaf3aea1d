import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { ok, type Result } from "../result.js";
import { acceptInvitation, type InvitationError, type PendingInvitation } from "../users/invitations.js";
import { findUserByEmail, recordSignIn } from "../users/user.queries.js";
import { createSession, type SessionPolicy } from "./session.js";

/**
 * Accepts an invitation and, when the person chose a password, signs them in on the clinic's host at once:
 * they just proved they hold the link and set the password, so asking for it again would add nothing.
 * Those who chose SSO get no session here: their IdP must vouch for them first.
 */
export async function joinWithInvitation(
  db: Db,
  clinic: Clinic,
  token: string,
  input: { password?: string | undefined; ip: string },
  policy: SessionPolicy,
  now: Date,
): Promise<Result<PendingInvitation & { sessionToken: string | null }, InvitationError>> {
  const accepted = await acceptInvitation(db, clinic, token, input, now);
  if (!accepted.ok) return accepted;
  if (input.password === undefined) return ok({ ...accepted.value, sessionToken: null });
  const user = await findUserByEmail(db, accepted.value.email);
  if (!user) throw new Error("an accepted invitation has no user");
  const sessionToken = await createSession(db, { userId: user.id, clinicId: clinic.id, authMethod: "password" }, policy, now);
  await recordSignIn(db, user.id, "password", nowIso(now));
  await recordAuditEvent(
    db,
    { actor: user.id, clinicId: clinic.id, action: "sign_in.invitation", target: user.email, ip: input.ip, outcome: "success" },
    now,
  );
  return ok({ ...accepted.value, sessionToken });
}
