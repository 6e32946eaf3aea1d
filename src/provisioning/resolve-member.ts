import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import { countSeatsUsed, lockClinicSeats } from "../clinics/clinic.queries.js";
import { isUniqueViolation } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { checkEmailAddress, checkPersonName } from "../users/identity-text.js";
import { findMembershipOfUser, findUserByEmail } from "../users/user.queries.js";
import { rowToMembership, rowToUser, type Membership, type User } from "../users/user.js";

/** A person as their clinic's IdP vouched for them, read from a verified assertion. */
export interface VerifiedIdentity {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export type ResolveMemberError =
  | "email_not_accepted"
  | "name_not_accepted"
  | "not_provisioned"
  | "member_of_other_clinic"
  | "member_deactivated"
  | "member_not_active"
  | "seat_limit_reached";

export interface ResolvedMember {
  user: User;
  membership: Membership;
  /** True when this sign-in created the account (just-in-time provisioning). */
  created: boolean;
}

/**
 * Finds the clinic member an IdP vouched for, or with JIT on creates them as a provider, taking a seat.
 * Never moves or signs in a person who belongs to another clinic, and never re-creates a removed one.
 */
export async function resolveSamlMember(
  db: Db,
  clinic: Clinic,
  identity: VerifiedIdentity,
  options: { jitProvisioning: boolean; ip: string | null },
): Promise<Result<ResolvedMember, ResolveMemberError>> {
  // The IdP's address goes through the same rule as an address an admin types: no lookalike gets in or matches.
  const email = checkEmailAddress(identity.email);
  if (!email.ok) return err("email_not_accepted");
  const existing = await findExistingMember(db, clinic, email.value);
  if (existing.ok || existing.error !== "not_provisioned" || !options.jitProvisioning) return existing;
  const name = nameForNewMember(identity, email.value);
  if (!name.ok) return err("name_not_accepted");
  const created = await provisionMemberJustInTime(db, clinic, { email: email.value, name: name.value }, options.ip);
  // Two first sign-ins of one person at once: the loser of the unique index finds the winner's account.
  if (!created.ok && created.error === "email_taken") return findExistingMember(db, clinic, email.value);
  return created as Result<ResolvedMember, ResolveMemberError>;
}

/** The name a JIT account gets: the IdP's first and last name through the shared name rule, else the address's local part. */
export function nameForNewMember(identity: VerifiedIdentity, email: string): Result<string, string> {
  const given = [identity.firstName, identity.lastName].filter((part) => part !== null && part.trim() !== "").join(" ");
  return checkPersonName(given || email.split("@")[0]!);
}

async function findExistingMember(db: Db, clinic: Clinic, email: string): Promise<Result<ResolvedMember, ResolveMemberError>> {
  const user = await findUserByEmail(db, email);
  if (!user) return err("not_provisioned");
  const membership = await findMembershipOfUser(db, user.id);
  if (!membership || membership.clinicId !== clinic.id) return err("member_of_other_clinic");
  if (membership.status === "deactivated") return err("member_deactivated");
  if (membership.status !== "active") return err("member_not_active");
  const { passwordHash: _, ...publicUser } = user;
  return ok({ user: publicUser, membership, created: false });
}

class SeatsFull extends Error {}

/** Creates the account (email and name already checked), its membership and seat, and the audit event in one transaction. */
export async function provisionMemberJustInTime(
  db: Db,
  clinic: Clinic,
  person: { email: string; name: string },
  ip: string | null,
): Promise<Result<ResolvedMember, "seat_limit_reached" | "email_taken">> {
  const now = nowIso();
  const user = { id: newId(), email: person.email, name: person.name, password_hash: null, created_at: now };
  const membership = {
    id: newId(),
    user_id: user.id,
    clinic_id: clinic.id,
    role: "provider" as const,
    status: "active" as const,
    created_at: now,
    last_sign_in_at: null,
    last_sign_in_method: null,
  };
  try {
    await db.transaction().execute(async (trx) => {
      const seats = await lockClinicSeats(trx, clinic.id);
      if ((await countSeatsUsed(trx, clinic.id)) >= seats) throw new SeatsFull();
      await trx.insertInto("users").values(user).execute();
      await trx.insertInto("memberships").values(membership).execute();
      await recordAuditEvent(trx, {
        actor: "system",
        clinicId: clinic.id,
        action: "member.jit_provision",
        target: user.email,
        ip,
        outcome: "success",
      });
    });
  } catch (error) {
    if (error instanceof SeatsFull) return err("seat_limit_reached");
    if (isUniqueViolation(error)) return err("email_taken");
    throw error;
  }
  return ok({ user: rowToUser(user), membership: rowToMembership(membership), created: true });
}
