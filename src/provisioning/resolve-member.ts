import type { Clinic } from "../clinics/clinic.js";
import { countSeatsUsed } from "../clinics/clinic.queries.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";
import { addMemberTakingSeat } from "../users/add-member.js";
import { findMembershipOfUser, findUserByEmail } from "../users/user.queries.js";
import type { Membership, User } from "../users/user.js";

/** A person as their clinic's IdP vouched for them, read from a verified assertion. */
export interface VerifiedIdentity {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export type ResolveMemberError =
  "not_provisioned" | "member_of_other_clinic" | "member_deactivated" | "member_not_active" | "seat_limit_reached";

export interface ResolvedMember {
  user: User;
  membership: Membership;
  /** True when this sign-in created the account (just-in-time provisioning). */
  created: boolean;
}

/**
 * Finds the clinic member an IdP vouched for, or with JIT on creates them as a provider, taking a seat.
 * Never moves or signs in a person who belongs to another clinic, and never re-creates a removed one.
 * Runs inside the caller's transaction; a concurrent first sign-in of the same person makes the insert
 * throw a unique violation (see addMemberRefusalOf), after which the caller retries and finds the winner.
 */
export async function resolveSamlMember(
  trx: Db,
  clinic: Clinic,
  identity: VerifiedIdentity,
  options: { jitProvisioning: boolean; ip: string | null },
  now: Date,
): Promise<Result<ResolvedMember, ResolveMemberError>> {
  const existing = await findExistingMember(trx, clinic, identity.email);
  if (existing.ok || existing.error !== "not_provisioned" || !options.jitProvisioning) return existing;
  const created = await provisionMemberJustInTime(trx, clinic, identity, options.ip, now);
  // The winner of two first sign-ins of one person committed before our check: find their account.
  if (!created.ok && created.error === "email_taken") return findExistingMember(trx, clinic, identity.email);
  return created as Result<ResolvedMember, ResolveMemberError>;
}

/** What resolveSamlMember would do, without writing: the existing member, or whether one would be provisioned. */
export async function previewSamlMember(
  db: Db,
  clinic: Clinic,
  identity: VerifiedIdentity,
  options: { jitProvisioning: boolean },
): Promise<Result<{ member: ResolvedMember | null; wouldProvision: boolean }, ResolveMemberError>> {
  const existing = await findExistingMember(db, clinic, identity.email);
  if (existing.ok) return ok({ member: existing.value, wouldProvision: false });
  if (existing.error !== "not_provisioned" || !options.jitProvisioning) return existing;
  if ((await countSeatsUsed(db, clinic.id)) >= clinic.seats) return err("seat_limit_reached");
  return ok({ member: null, wouldProvision: true });
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

/** Creates the account, its membership and seat, and the audit event, inside the caller's transaction. */
export async function provisionMemberJustInTime(
  trx: Db,
  clinic: Clinic,
  identity: VerifiedIdentity,
  ip: string | null,
  now: Date,
): Promise<Result<ResolvedMember, "seat_limit_reached" | "email_taken">> {
  // Names come from the IdP's attributes: drop control characters and keep them to the length we store.
  const given = [identity.firstName, identity.lastName]
    .filter(Boolean)
    .join(" ")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim();
  const name = given || identity.email.split("@")[0]!;
  const person = { email: identity.email, name: name.slice(0, 200), role: "provider", status: "active", passwordHash: null } as const;
  const added = await addMemberTakingSeat(trx, clinic, person, { action: "member.jit_provision", by: { actor: "system", ip } }, now);
  // No room name is asked for, so room_name_taken cannot happen here.
  if (!added.ok) return err(added.error as "seat_limit_reached" | "email_taken");
  return ok({ ...added.value, created: true });
}
