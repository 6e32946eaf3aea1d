import { recordAuditEvent, type Actor } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { newSecret, nowIso, sha256Hex } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { addClinicMember } from "./add-member.js";
import type { InvitationMailer } from "./invitation-mailer.js";
import { findInvitationByTokenHash, markInvitationAccepted, replaceInvitation } from "./invitation.queries.js";
import { findClinicMemberByEmail } from "./member-list.queries.js";
import { hashPassword } from "./password.js";
import type { Member } from "./user.queries.js";
import { findMembershipOfUser, getUser } from "./user.queries.js";
import type { Role, User } from "./user.js";

// Long enough to survive a weekend in someone's inbox, short enough that a forgotten link stops being a way in.
export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60_000;

export interface InvitationDelivery {
  /** The clinic's origin (scheme, host, port): links are `${origin}/invitations/<token>`. */
  origin: string;
  mailer: InvitationMailer;
}

export interface IssuedInvitation {
  member: Member;
  /** Contains the only copy of the token: show it to the admin once, never log it. */
  link: string;
}

export type InvitationError = "invitation_not_found" | "invitation_used" | "invitation_expired" | "invitation_revoked";

export interface PendingInvitation {
  email: string;
  name: string;
}

/**
 * Invites a person: their account and an `invited` membership (taking a seat), plus a single-use link valid for
 * seven days. Inviting an email that already has an account answers `email_taken`; the unique email index
 * decides between two invitations sent at once.
 */
export async function inviteMember(
  db: Db,
  clinic: Clinic,
  input: { email: string; name: string; role: Role },
  by: Actor,
  delivery: InvitationDelivery,
  now: Date,
): Promise<Result<IssuedInvitation, "email_taken" | "seat_limit_reached">> {
  const added = await addClinicMember(db, clinic, { ...input, status: "invited" }, by, now);
  // No room name is asked for, so room_name_taken cannot happen here.
  if (!added.ok) return err(added.error as "email_taken" | "seat_limit_reached");
  // addClinicMember owns its transaction, so the invitation is a second one: should it fail, the member is listed
  // as invited and "Resend invitation" issues the link.
  const link = await issueInvitation(db, clinic, added.value.user, "invitation.create", by, delivery, now);
  return ok({ member: added.value, link });
}

/** A new link for someone who has not accepted yet; their earlier link stops working. */
export async function resendInvitation(
  db: Db,
  clinic: Clinic,
  email: string,
  by: Actor,
  delivery: InvitationDelivery,
  now: Date,
): Promise<Result<IssuedInvitation, "member_not_found" | "not_invited">> {
  const member = await findClinicMemberByEmail(db, clinic.id, email);
  if (!member) return err("member_not_found");
  if (member.membership.status !== "invited") return err("not_invited");
  const link = await issueInvitation(db, clinic, member.user, "invitation.resend", by, delivery, now);
  return ok({ member, link });
}

async function issueInvitation(
  db: Db,
  clinic: Clinic,
  user: User,
  action: string,
  by: Actor,
  delivery: InvitationDelivery,
  now: Date,
): Promise<string> {
  const token = newSecret();
  const expiresAt = nowIso(new Date(now.getTime() + INVITATION_LIFETIME_MS));
  await db.transaction().execute(async (trx) => {
    await replaceInvitation(trx, {
      token_hash: sha256Hex(token),
      user_id: user.id,
      clinic_id: clinic.id,
      created_at: nowIso(now),
      expires_at: expiresAt,
      accepted_at: null,
    });
    await recordAuditEvent(trx, { ...by, clinicId: clinic.id, action, target: user.email, outcome: "success", detail: { expiresAt } }, now);
  });
  const link = `${delivery.origin}/invitations/${token}`;
  await delivery.mailer.sendInvitation(user.email, clinic.name, link);
  return link;
}

export interface CheckedInvitation extends PendingInvitation {
  tokenHash: string;
  userId: string;
}

/** Who an invitation link is for, if it can still be accepted on this clinic's host. */
export async function checkInvitation(
  db: Db,
  clinic: Clinic,
  token: string,
  now: Date,
): Promise<Result<CheckedInvitation, InvitationError>> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return err("invitation_not_found");
  const tokenHash = sha256Hex(token);
  const invitation = await findInvitationByTokenHash(db, tokenHash);
  // A link for clinic A opened on clinic B's host is treated as unknown: B learns nothing about A's invitees.
  if (!invitation || invitation.clinicId !== clinic.id) return err("invitation_not_found");
  if (invitation.acceptedAt) return err("invitation_used");
  const membership = await findMembershipOfUser(db, invitation.userId);
  if (membership?.clinicId !== clinic.id || membership.status !== "invited") return err("invitation_revoked");
  if (nowIso(now) >= invitation.expiresAt) return err("invitation_expired");
  const user = await getUser(db, invitation.userId);
  return ok({ email: user.email, name: user.name, tokenHash, userId: user.id });
}

class Refusal extends Error {
  constructor(readonly code: InvitationError) {
    super(code);
  }
}

/**
 * Accepts an invitation: the membership becomes active and, if given, the password is set (the caller checks
 * its length). Without a password the person signs in with the clinic's SSO. Each link works once.
 */
export async function acceptInvitation(
  db: Db,
  clinic: Clinic,
  token: string,
  input: { password?: string | undefined; ip: string | null },
  now: Date,
): Promise<Result<PendingInvitation, InvitationError>> {
  const checked = await checkInvitation(db, clinic, token, now);
  if (!checked.ok) return checked;
  const { tokenHash, userId, email, name } = checked.value;
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  try {
    await db.transaction().execute(async (trx) => {
      // Two submissions of one link at once: the conditional update lets exactly one through.
      if (!(await markInvitationAccepted(trx, tokenHash, nowIso(now)))) throw new Refusal("invitation_used");
      const activated = await trx
        .updateTable("memberships")
        .set({ status: "active" })
        .where("user_id", "=", userId)
        .where("clinic_id", "=", clinic.id)
        .where("status", "=", "invited")
        .executeTakeFirst();
      // Removed by an admin between the check above and now.
      if (Number(activated.numUpdatedRows) !== 1) throw new Refusal("invitation_revoked");
      if (passwordHash !== null) await trx.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId).execute();
      await recordAuditEvent(
        trx,
        {
          actor: userId,
          clinicId: clinic.id,
          action: "invitation.accept",
          target: email,
          ip: input.ip,
          outcome: "success",
          detail: { signInWith: passwordHash ? "password" : "sso" },
        },
        now,
      );
    });
  } catch (error) {
    if (error instanceof Refusal) return err(error.code);
    throw error;
  }
  return ok({ email, name });
}
