import type { Db } from "../db/open.js";
import type { Member } from "./user.queries.js";
import { rowToMembership, rowToUser } from "./user.js";

export interface MemberWithRoom extends Member {
  roomName: string | null;
}

// Members of one clinic joined to their user and (left join: not everyone has one) their room.
function selectMembersOf(db: Db, clinicId: string) {
  return db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .leftJoin("rooms", "rooms.user_id", "memberships.user_id")
    .selectAll("memberships")
    .select(["users.email", "users.name", "users.password_hash", "users.created_at as user_created_at", "rooms.name as room_name"])
    .where("memberships.clinic_id", "=", clinicId);
}

type MemberRow = Awaited<ReturnType<ReturnType<typeof selectMembersOf>["executeTakeFirstOrThrow"]>>;

function rowToMemberWithRoom(r: MemberRow): MemberWithRoom {
  return {
    membership: rowToMembership(r),
    user: rowToUser({ id: r.user_id, email: r.email, name: r.name, password_hash: r.password_hash, created_at: r.user_created_at }),
    roomName: r.room_name,
  };
}

/** Every member of a clinic (active, invited and removed) with their room name, in one query. */
export async function listMembersWithRooms(db: Db, clinicId: string): Promise<MemberWithRoom[]> {
  const rows = await selectMembersOf(db, clinicId).orderBy("users.email").execute();
  return rows.map(rowToMemberWithRoom);
}

/** The member of this clinic with this email, or null: a member of another clinic is never found here. */
export async function findClinicMemberByEmail(db: Db, clinicId: string, email: string): Promise<MemberWithRoom | null> {
  const row = await selectMembersOf(db, clinicId).where("users.email", "=", email.trim().toLowerCase()).executeTakeFirst();
  return row ? rowToMemberWithRoom(row) : null;
}

export async function countActiveAdmins(db: Db, clinicId: string): Promise<number> {
  const row = await db
    .selectFrom("memberships")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("clinic_id", "=", clinicId)
    .where("role", "=", "admin")
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
