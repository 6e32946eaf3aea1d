import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import { countSeatsUsed, lockClinicSeats } from "../clinics/clinic.queries.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";
import { deleteSessionsOfUser } from "../sessions/session.js";
import type { Actor } from "./add-member.js";
import { countActiveAdmins, findClinicMemberByEmail, type MemberWithRoom } from "./member-list.queries.js";
import type { Role } from "./user.js";

export type ManageMemberError = "member_not_found" | "last_admin" | "seat_limit_reached" | "invitation_pending";

export interface MemberChanges {
  /** "deactivated" removes the person and frees their seat; "active" restores a removed person. */
  status?: "active" | "deactivated" | undefined;
  role?: Role | undefined;
}

export interface ChangedMember {
  member: MemberWithRoom;
  /** False when the member already was as asked: nothing was written. */
  changed: boolean;
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
): Promise<Result<ChangedMember, ManageMemberError>> {
  try {
    return await db.transaction().execute(async (trx) => {
      // Every member-changing write of a clinic takes this one lock, so two admins demoting each other at once
      // cannot both see "another admin is left", and two restores cannot both take the last seat.
      const seats = await lockClinicSeats(trx, clinic.id);
      const member = await findClinicMemberByEmail(trx, clinic.id, email);
      if (!member) throw new Refusal("member_not_found");
      const before = member.membership;
      // An invitee becomes active by accepting their invitation (and choosing how to sign in), not by an admin.
      if (changes.status === "active" && before.status === "invited") throw new Refusal("invitation_pending");
      const status = changes.status ?? before.status;
      const role = changes.role ?? before.role;
      if (status === before.status && role === before.role) return ok({ member, changed: false });

      const wasActiveAdmin = before.status === "active" && before.role === "admin";
      const staysActiveAdmin = status === "active" && role === "admin";
      if (wasActiveAdmin && !staysActiveAdmin && (await countActiveAdmins(trx, clinic.id)) <= 1) throw new Refusal("last_admin");
      if (before.status === "deactivated" && status === "active" && (await countSeatsUsed(trx, clinic.id)) >= seats) {
        throw new Refusal("seat_limit_reached");
      }

      await trx.updateTable("memberships").set({ status, role }).where("id", "=", before.id).execute();
      // Removal takes effect now, not when the person's sessions would have expired: every host, every device.
      if (status === "deactivated") await deleteSessionsOfUser(trx, member.user.id, "removed");
      const audit = { ...by, clinicId: clinic.id, target: member.user.email, outcome: "success" as const };
      if (status !== before.status) {
        const action = status === "deactivated" ? "member.remove" : "member.restore";
        await recordAuditEvent(trx, { ...audit, action, detail: { from: before.status, to: status } });
      }
      if (role !== before.role) {
        await recordAuditEvent(trx, { ...audit, action: "member.role_change", detail: { from: before.role, to: role } });
      }
      return ok({ member: { ...member, membership: { ...before, status, role } }, changed: true });
    });
  } catch (error) {
    if (error instanceof Refusal) return err(error.code);
    throw error;
  }
}

/** Removes a person from the clinic: status deactivated, seat freed, signed out everywhere at once. Repeating it is a no-op. */
export function removeMember(
  db: Db,
  clinic: Clinic,
  email: string,
  by: Actor,
): Promise<Result<ChangedMember, "member_not_found" | "last_admin">> {
  return updateMember(db, clinic, email, { status: "deactivated" }, by) as Promise<
    Result<ChangedMember, "member_not_found" | "last_admin">
  >;
}

/** Gives a removed person their access back; needs a free seat. Restoring an active member is a no-op. */
export function restoreMember(
  db: Db,
  clinic: Clinic,
  email: string,
  by: Actor,
): Promise<Result<ChangedMember, "member_not_found" | "seat_limit_reached" | "invitation_pending">> {
  return updateMember(db, clinic, email, { status: "active" }, by) as Promise<
    Result<ChangedMember, "member_not_found" | "seat_limit_reached" | "invitation_pending">
  >;
}

export function changeMemberRole(
  db: Db,
  clinic: Clinic,
  email: string,
  role: Role,
  by: Actor,
): Promise<Result<ChangedMember, "member_not_found" | "last_admin">> {
  return updateMember(db, clinic, email, { role }, by) as Promise<Result<ChangedMember, "member_not_found" | "last_admin">>;
}
