import type { Clinic } from "../clinics/clinic.js";
import { countSeatsUsed } from "../clinics/clinic.queries.js";
import { checkEmailDomainAllowed } from "../clinics/email-domains.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";
import { addMemberTakingSeat } from "../users/add-member.js";
import { checkEmailAddress, checkPersonName } from "../users/identity-text.js";
import { findUserAndMembershipByEmail } from "../users/user.queries.js";
import type { Membership, User } from "../users/user.js";

/** A person as their clinic's IdP vouched for them, read from a verified assertion. */
export interface VerifiedIdentity {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

export type ResolveMemberError =
  | "email_not_accepted"
  | "email_domain_not_allowed"
  | "email_domain_of_other_clinic"
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
  // The IdP's address goes through the same rule as an address an admin types: no lookalike gets in or matches.
  const email = checkEmailAddress(identity.email);
  if (!email.ok) return err("email_not_accepted");
  // The email-domain lock: checked before anything is looked up or created, so no one outside it signs in or is made.
  const domain = await checkDomain(trx, clinic, email.value);
  if (!domain.ok) return domain;
  const existing = await findExistingMember(trx, clinic, email.value);
  if (existing.ok || existing.error !== "not_provisioned" || !options.jitProvisioning) return existing;
  const name = nameForNewMember(identity, email.value);
  if (!name.ok) return err("name_not_accepted");
  const created = await provisionMemberJustInTime(trx, clinic, { email: email.value, name: name.value }, options.ip, now);
  // The winner of two first sign-ins of one person committed before our check: find their account.
  if (!created.ok && created.error === "email_taken") return findExistingMember(trx, clinic, email.value);
  return created as Result<ResolvedMember, ResolveMemberError>;
}

/** What resolveSamlMember would do, without writing: the existing member, or whether one would be provisioned. */
export async function previewSamlMember(
  db: Db,
  clinic: Clinic,
  identity: VerifiedIdentity,
  options: { jitProvisioning: boolean },
): Promise<Result<{ member: ResolvedMember | null; wouldProvision: boolean }, ResolveMemberError>> {
  const email = checkEmailAddress(identity.email);
  if (!email.ok) return err("email_not_accepted");
  const domain = await checkDomain(db, clinic, email.value);
  if (!domain.ok) return domain;
  const existing = await findExistingMember(db, clinic, email.value);
  if (existing.ok) return ok({ member: existing.value, wouldProvision: false });
  if (existing.error !== "not_provisioned" || !options.jitProvisioning) return existing;
  if (!nameForNewMember(identity, email.value).ok) return err("name_not_accepted");
  if ((await countSeatsUsed(db, clinic.id)) >= clinic.seats) return err("seat_limit_reached");
  return ok({ member: null, wouldProvision: true });
}

/** The name a JIT account gets: the IdP's first and last name through the shared name rule, else the address's local part. */
export function nameForNewMember(identity: VerifiedIdentity, email: string): Result<string, string> {
  const given = [identity.firstName, identity.lastName].filter((part) => part !== null && part.trim() !== "").join(" ");
  return checkPersonName(given || email.split("@")[0]!);
}

async function checkDomain(db: Db, clinic: Clinic, email: string): Promise<Result<null, ResolveMemberError>> {
  const allowed = await checkEmailDomainAllowed(db, clinic.id, email);
  if (allowed.ok) return allowed;
  return err(allowed.error === "outside_clinic_domains" ? "email_domain_not_allowed" : "email_domain_of_other_clinic");
}

async function findExistingMember(db: Db, clinic: Clinic, email: string): Promise<Result<ResolvedMember, ResolveMemberError>> {
  const found = await findUserAndMembershipByEmail(db, email);
  if (!found) return err("not_provisioned");
  const { user, membership } = found;
  if (!membership || membership.clinicId !== clinic.id) return err("member_of_other_clinic");
  if (membership.status === "deactivated") return err("member_deactivated");
  if (membership.status !== "active") return err("member_not_active");
  return ok({ user, membership, created: false });
}

/** Creates the account (email and name already checked), its membership and seat, and the audit event, inside the caller's transaction. */
export async function provisionMemberJustInTime(
  trx: Db,
  clinic: Clinic,
  person: { email: string; name: string },
  ip: string | null,
  now: Date,
): Promise<Result<ResolvedMember, "seat_limit_reached" | "email_taken">> {
  const newMember = { ...person, role: "provider", status: "active", passwordHash: null } as const;
  const added = await addMemberTakingSeat(trx, clinic, newMember, { action: "member.jit_provision", by: { actor: "system", ip } }, now);
  // No room name is asked for, so room_name_taken cannot happen here.
  if (!added.ok) return err(added.error as "seat_limit_reached" | "email_taken");
  return ok({ ...added.value, created: true });
}
