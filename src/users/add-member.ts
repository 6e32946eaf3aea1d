import { recordAuditEvent, type Actor } from "../audit/audit.js";
import { countSeatsUsed, lockClinicSeats } from "../clinics/clinic.queries.js";
import type { Clinic } from "../clinics/clinic.js";
import { uniqueViolationTarget } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { hashPassword } from "./password.js";
import type { Member } from "./user.queries.js";
import { type MembershipStatus, type Role, rowToMembership, rowToUser } from "./user.js";

export interface NewMember {
  email: string;
  name: string;
  role: Role;
  password?: string | undefined;
  roomName?: string | undefined;
  status?: MembershipStatus;
}

/** A person about to take a seat, with their password already hashed (or none: they sign in with SSO). */
export interface PersonTakingSeat {
  email: string;
  name: string;
  role: Role;
  status: MembershipStatus;
  passwordHash: string | null;
  roomName?: string | undefined;
}

/** How the person arrived, as the audit log records it: added by someone, provisioned just in time or over SCIM. */
export interface MemberSource {
  action: "member.add" | "member.jit_provision" | "member.scim_provision";
  by: Actor;
}

export type AddMemberError = "email_taken" | "seat_limit_reached" | "room_name_taken";

/**
 * The one way a person becomes a clinic member: locks the clinic's seats, checks one is free, inserts the user,
 * the membership and optionally the room, and records the audit event. Must run inside the caller's transaction:
 * a refusal returned here has written nothing; a unique violation (a concurrent insert) throws, rolls the
 * caller's transaction back and is named by addMemberRefusalOf.
 */
export async function addMemberTakingSeat(
  trx: Db,
  clinic: Clinic,
  person: PersonTakingSeat,
  source: MemberSource,
  now: Date,
): Promise<Result<Member, AddMemberError>> {
  const user = {
    id: newId(),
    email: person.email.toLowerCase(),
    name: person.name,
    password_hash: person.passwordHash,
    created_at: nowIso(now),
  };
  const membership = {
    id: newId(),
    user_id: user.id,
    clinic_id: clinic.id,
    role: person.role,
    status: person.status,
    created_at: nowIso(now),
    last_sign_in_at: null,
    last_sign_in_method: null,
  } as const;
  const seats = await lockClinicSeats(trx, clinic.id);
  if ((await countSeatsUsed(trx, clinic.id)) >= seats) return err("seat_limit_reached");
  const existing = await trx.selectFrom("users").select("id").where("email", "=", user.email).executeTakeFirst();
  if (existing) return err("email_taken");
  if (person.roomName !== undefined) {
    const taken = await trx.selectFrom("rooms").select("id").where("name", "=", person.roomName).executeTakeFirst();
    if (taken) return err("room_name_taken");
  }
  await trx.insertInto("users").values(user).execute();
  await trx.insertInto("memberships").values(membership).execute();
  if (person.roomName !== undefined) {
    await trx
      .insertInto("rooms")
      .values({ id: newId(), name: person.roomName, user_id: user.id, created_at: nowIso(now) })
      .execute();
  }
  await recordAuditEvent(
    trx,
    {
      ...source.by,
      clinicId: clinic.id,
      action: source.action,
      target: user.email,
      outcome: "success",
      detail: { role: person.role, status: membership.status },
    },
    now,
  );
  return ok({ user: rowToUser(user), membership: rowToMembership(membership) });
}

/** The refusal behind a unique violation thrown by addMemberTakingSeat (a concurrent insert won), or null. */
export function addMemberRefusalOf(error: unknown): "email_taken" | "room_name_taken" | null {
  const target = uniqueViolationTarget(error);
  if (target === "rooms.name") return "room_name_taken";
  if (target === "users.email") return "email_taken";
  return null;
}

/** Creates a user, their membership (taking a seat) and optionally their room, all or nothing, with its audit event. */
export async function addClinicMember(
  db: Db,
  clinic: Clinic,
  input: NewMember,
  by: Actor,
  now: Date,
): Promise<Result<Member, AddMemberError>> {
  const { password, status, ...rest } = input;
  const passwordHash = password === undefined ? null : await hashPassword(password);
  const person = { ...rest, status: status ?? "active", passwordHash };
  try {
    return await db.transaction().execute((trx) => addMemberTakingSeat(trx, clinic, person, { action: "member.add", by }, now));
  } catch (error) {
    // A concurrent insert of the same email or room name loses here, after the transaction rolled back.
    const refusal = addMemberRefusalOf(error);
    if (refusal) return err(refusal);
    throw error;
  }
}
