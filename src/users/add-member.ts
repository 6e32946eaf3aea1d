import { recordAuditEvent } from "../audit/audit.js";
import { countSeatsUsed, lockClinicSeats } from "../clinics/clinic.queries.js";
import type { Clinic } from "../clinics/clinic.js";
import { isUniqueViolation } from "../db/errors.js";
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

export interface Actor {
  actor: string;
  ip: string | null;
}

export type AddMemberError = "email_taken" | "seat_limit_reached" | "room_name_taken";

class Refusal extends Error {
  constructor(readonly code: AddMemberError) {
    super(code);
  }
}

/** Creates a user, their membership (taking a seat) and optionally their room, all or nothing, with its audit event. */
export async function addClinicMember(db: Db, clinic: Clinic, input: NewMember, by: Actor): Promise<Result<Member, AddMemberError>> {
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const now = nowIso();
  const user = { id: newId(), email: input.email.toLowerCase(), name: input.name, password_hash: passwordHash, created_at: now };
  const membership = {
    id: newId(),
    user_id: user.id,
    clinic_id: clinic.id,
    role: input.role,
    status: input.status ?? "active",
    created_at: now,
    last_sign_in_at: null,
    last_sign_in_method: null,
  } as const;
  try {
    await db.transaction().execute(async (trx) => {
      const seats = await lockClinicSeats(trx, clinic.id);
      if ((await countSeatsUsed(trx, clinic.id)) >= seats) throw new Refusal("seat_limit_reached");
      const existing = await trx.selectFrom("users").select("id").where("email", "=", user.email).executeTakeFirst();
      if (existing) throw new Refusal("email_taken");
      await trx.insertInto("users").values(user).execute();
      await trx.insertInto("memberships").values(membership).execute();
      if (input.roomName !== undefined) {
        const taken = await trx.selectFrom("rooms").select("id").where("name", "=", input.roomName).executeTakeFirst();
        if (taken) throw new Refusal("room_name_taken");
        await trx.insertInto("rooms").values({ id: newId(), name: input.roomName, user_id: user.id, created_at: now }).execute();
      }
      await recordAuditEvent(trx, {
        ...by,
        clinicId: clinic.id,
        action: "member.add",
        target: user.email,
        outcome: "success",
        detail: { role: input.role, status: membership.status },
      });
    });
  } catch (error) {
    if (error instanceof Refusal) return err(error.code);
    // A concurrent insert of the same email or room name loses here, after the transaction rolled back.
    if (isUniqueViolation(error)) return err(String(error).includes("rooms") ? "room_name_taken" : "email_taken");
    throw error;
  }
  return ok({ user: rowToUser(user), membership: rowToMembership(membership) });
}
