import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import { countSeatsUsed, lockClinicSeats } from "../clinics/clinic.queries.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";
import type { Actor } from "../audit/audit.js";
import { resendInvitation, type InvitationDelivery } from "./invitations.js";
import { countActiveAdmins, findClinicMemberByEmail, type MemberWithRoom } from "./member-list.queries.js";
import { deleteSessionsOfUser } from "./user.queries.js";
import type { Role } from "./user.js";

export type ManageMemberError = "member_not_found" | "last_admin" | "seat_limit_reached" | "invitation_pending";

export interface MemberChanges {
  /** "deactivated" removes the person and frees their seat; "active" restores a removed person (an invitee as invited). */
  status?: "active" | "deactivated" | undefined;
  role?: Role | undefined;
}

export interface ChangedMember {
  member: MemberWithRoom;
  /** False when the member already was as asked: nothing was written. */
  changed: boolean;
  /** True when a removed invitee was restored: they are invited again and need a fresh link (their old one stays dead). */
  reinvited: boolean;
}

class Refusal extends Error {
  constructor(readonly code: ManageMemberError) {
    super(code);
  }
}

/**
 * Changes one member's status and/or role in one transaction with its audit events. Guards: the clinic keeps
 * at least one active admin, and a restored person needs a free seat. Removing someone ends all their sessions.
 */
export async function updateMember(
  db: Db,
  clinic: Clinic,
  email: string,
  changes: MemberChanges,
  by: Actor,
  now: Date,
): Promise<Result<ChangedMember, ManageMemberError>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const changed = await updateMemberWithin(trx, clinic, email, changes, by, now);
      if (!changed.ok) throw new Refusal(changed.error);
      return changed;
    });
  } catch (error) {
    if (error instanceof Refusal) return err(error.code);
    throw error;
  }
}

/**
 * updateMember inside the caller's transaction (SCIM applies a person's new name and status together):
 * a refusal returned here has written nothing.
 */
export async function updateMemberWithin(
  trx: Db,
  clinic: Clinic,
  email: string,
  changes: MemberChanges,
  by: Actor,
  now: Date,
): Promise<Result<ChangedMember, ManageMemberError>> {
  // Every member-changing write of a clinic takes this one lock, so two admins demoting each other at once
  // cannot both see "another admin is left", and two restores cannot both take the last seat.
  const seats = await lockClinicSeats(trx, clinic.id);
  const member = await findClinicMemberByEmail(trx, clinic.id, email);
  if (!member) return err("member_not_found");
  const before = member.membership;
  // An invitee becomes active by accepting their invitation (and choosing how to sign in), not by an admin.
  if (changes.status === "active" && before.status === "invited") return err("invitation_pending");
  // Restoring gives back what the person was: someone removed before accepting their invitation is invited again.
  const restoresInvitee = before.status === "deactivated" && changes.status === "active" && (await wasInvitee(trx, before.id));
  const status = restoresInvitee ? "invited" : (changes.status ?? before.status);
  const role = changes.role ?? before.role;
  if (status === before.status && role === before.role) return ok({ member, changed: false, reinvited: false });

  const wasActiveAdmin = before.status === "active" && before.role === "admin";
  const staysActiveAdmin = status === "active" && role === "admin";
  if (wasActiveAdmin && !staysActiveAdmin && (await countActiveAdmins(trx, clinic.id)) <= 1) return err("last_admin");
  if (before.status === "deactivated" && status !== "deactivated" && (await countSeatsUsed(trx, clinic.id)) >= seats) {
    return err("seat_limit_reached");
  }

  const statusBeforeRemoval = status !== "deactivated" ? null : before.status === "deactivated" ? undefined : before.status;
  await trx
    .updateTable("memberships")
    .set({ status, role, ...(statusBeforeRemoval !== undefined ? { status_before_removal: statusBeforeRemoval } : {}) })
    .where("id", "=", before.id)
    .execute();
  // The link handed out before the removal must not work again now that they are invited once more.
  if (restoresInvitee) await trx.deleteFrom("invitations").where("user_id", "=", member.user.id).execute();
  // Removal takes effect now, not when the person's sessions would have expired: every host, every device.
  if (status === "deactivated") await deleteSessionsOfUser(trx, member.user.id, "removed", now);
  const audit = { ...by, clinicId: clinic.id, target: member.user.email, outcome: "success" as const };
  if (status !== before.status) {
    const action = status === "deactivated" ? "member.remove" : "member.restore";
    await recordAuditEvent(trx, { ...audit, action, detail: { from: before.status, to: status } }, now);
  }
  if (role !== before.role) {
    await recordAuditEvent(trx, { ...audit, action: "member.role_change", detail: { from: before.role, to: role } }, now);
  }
  return ok({ member: { ...member, membership: { ...before, status, role } }, changed: true, reinvited: restoresInvitee });
}

/** Removes a person from the clinic: status deactivated, seat freed, signed out everywhere at once. Repeating it is a no-op. */
export function removeMember(
  db: Db,
  clinic: Clinic,
  email: string,
  by: Actor,
  now: Date,
): Promise<Result<ChangedMember, "member_not_found" | "last_admin">> {
  return updateMember(db, clinic, email, { status: "deactivated" }, by, now) as Promise<
    Result<ChangedMember, "member_not_found" | "last_admin">
  >;
}

/**
 * Gives a removed person back what they had: access for a member, a fresh invitation for someone removed before
 * accepting (the link is in the answer, shown once). Needs a free seat. Restoring an active member is a no-op.
 */
export function restoreMember(
  db: Db,
  clinic: Clinic,
  email: string,
  by: Actor,
  delivery: InvitationDelivery,
  now: Date,
): Promise<Result<RestoredMember, "member_not_found" | "seat_limit_reached" | "invitation_pending">> {
  return changeMember(db, clinic, email, { status: "active" }, by, delivery, now) as Promise<
    Result<RestoredMember, "member_not_found" | "seat_limit_reached" | "invitation_pending">
  >;
}

export interface RestoredMember extends ChangedMember {
  /** For a restored invitee: their new invitation link (the only copy of its token), else null. */
  invitationLink: string | null;
}

/** updateMember, then a fresh invitation link for a restored invitee. */
export async function changeMember(
  db: Db,
  clinic: Clinic,
  email: string,
  changes: MemberChanges,
  by: Actor,
  delivery: InvitationDelivery,
  now: Date,
): Promise<Result<RestoredMember, ManageMemberError>> {
  const updated = await updateMember(db, clinic, email, changes, by, now);
  if (!updated.ok) return updated;
  if (!updated.value.reinvited) return ok({ ...updated.value, invitationLink: null });
  // A second step, as for a new invitation: should it fail, the person is listed as invited and "Resend invitation" issues the link.
  const resent = await resendInvitation(db, clinic, updated.value.member.user.email, by, delivery, now);
  return ok({ ...updated.value, invitationLink: resent.ok ? resent.value.link : null });
}

async function wasInvitee(db: Db, membershipId: string): Promise<boolean> {
  const row = await db.selectFrom("memberships").select("status_before_removal").where("id", "=", membershipId).executeTakeFirst();
  return row?.status_before_removal === "invited";
}

export function changeMemberRole(
  db: Db,
  clinic: Clinic,
  email: string,
  role: Role,
  by: Actor,
  now: Date,
): Promise<Result<ChangedMember, "member_not_found" | "last_admin">> {
  return updateMember(db, clinic, email, { role }, by, now) as Promise<Result<ChangedMember, "member_not_found" | "last_admin">>;
}
