import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { ok, type Result } from "../result.js";
import { ssoSignInOptions, type SsoSignInOptions } from "../sso/saml/connection.queries.js";
import { acceptInvitation, checkInvitation, type InvitationError, type PendingInvitation } from "../users/invitations.js";
import { passwordSchema } from "../users/user.js";
import { findUserByEmail, recordSignIn } from "../users/user.queries.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";

/** What an invitation link's page shows: who is invited, and whether the clinic offers (or requires) single sign-on. */
export interface InvitationOffer {
  invitee: PendingInvitation;
  sso: SsoSignInOptions;
}

/** How the invited person chose to sign in from now on: with the password they typed, or with the clinic's SSO. */
export type JoinMethod = { password: string } | { sso: true };

/** A link that no longer works; or a choice the page refuses, shown again with the offer as it stands. */
export type InvitationRefusal =
  | { ok: false; error: InvitationError }
  | { ok: false; error: "sso_not_available"; offer: InvitationOffer }
  | { ok: false; error: "invalid_password"; message: string; offer: InvitationOffer };

/** The invitation a link opens on this clinic's host, with what the person may choose to sign in with. */
export async function openInvitation(db: Db, clinic: Clinic, token: string, now: Date): Promise<Result<InvitationOffer, InvitationError>> {
  const checked = await checkInvitation(db, clinic, token, now);
  if (!checked.ok) return checked;
  const { email, name } = checked.value;
  return ok({ invitee: { email, name }, sso: await ssoSignInOptions(db, clinic.id) });
}

/**
 * Accepts an invitation and, when the person chose a password, signs them in on the clinic's host at once:
 * they just proved they hold the link and set the password, so asking for it again would add nothing.
 * Those who chose SSO get no session here: their IdP must vouch for them first, so SSO must be on. The browser's
 * previous session ends; the new session, the sign-in time and the audit event are one transaction.
 */
export async function joinWithInvitation(
  db: Db,
  clinic: Clinic,
  token: string,
  input: { method: JoinMethod; ip: string; previousSessionToken: string | null },
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: PendingInvitation & { sessionToken: string | null } } | InvitationRefusal> {
  // The link first: a link that no longer works is refused whatever the form says.
  const checked = await checkInvitation(db, clinic, token, now);
  if (!checked.ok) return checked;
  const invitee = { email: checked.value.email, name: checked.value.name };
  const offer = async () => ({ invitee, sso: await ssoSignInOptions(db, clinic.id) });
  if ("sso" in input.method) {
    const shown = await offer();
    if (!shown.sso.enabled) return { ok: false, error: "sso_not_available", offer: shown };
  }
  const password = "password" in input.method ? passwordSchema.safeParse(input.method.password) : null;
  if (password && !password.success) {
    const message = password.error.issues.map((issue) => issue.message).join(", ");
    return { ok: false, error: "invalid_password", message, offer: await offer() };
  }
  const accepted = await acceptInvitation(db, clinic, token, { password: password?.data, ip: input.ip }, now);
  if (!accepted.ok) return accepted;
  if (password === null) return ok({ ...accepted.value, sessionToken: null });
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
