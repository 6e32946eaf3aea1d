import type { Db } from "../../db/open.js";
import type { MembershipStatus, Role } from "../../users/user.js";
import type { EqualityClause } from "./filter.js";
import type { ScimUserState } from "./user-resource.js";

/** A clinic member as SCIM sees them: every member is listed, so an IdP can match people who signed in before SCIM. */
export interface ScimUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: MembershipStatus;
  createdAt: string;
  /** Null for a member the IdP has not claimed over SCIM yet. */
  scim: { userName: string; externalId: string | null; givenName: string | null; familyName: string | null } | null;
}

export const USER_FILTER_ATTRIBUTES = ["userName", "externalId", "id", "emails.value", "emails"] as const;

function selectScimUsers(db: Db, clinicId: string) {
  return (
    db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .leftJoin("scim_members", "scim_members.user_id", "memberships.user_id")
      .select([
        "users.id",
        "users.email",
        "users.name",
        "users.created_at",
        "memberships.role",
        "memberships.status",
        "scim_members.user_name",
        "scim_members.external_id",
        "scim_members.given_name",
        "scim_members.family_name",
      ])
      .where("memberships.clinic_id", "=", clinicId)
      // A resource the IdP deleted answers 404 from then on (RFC 7644 §3.6), though the person stays a removed member.
      .where("scim_members.deleted_at", "is", null)
  );
}

type Row = Awaited<ReturnType<ReturnType<typeof selectScimUsers>["executeTakeFirstOrThrow"]>>;

function rowToScimUser(r: Row): ScimUser {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    status: r.status,
    createdAt: r.created_at,
    scim:
      r.user_name === null
        ? null
        : { userName: r.user_name, externalId: r.external_id, givenName: r.given_name, familyName: r.family_name },
  };
}

export async function findScimUser(db: Db, clinicId: string, userId: string): Promise<ScimUser | null> {
  const row = await selectScimUsers(db, clinicId).where("users.id", "=", userId).executeTakeFirst();
  return row ? rowToScimUser(row) : null;
}

/** One page of the clinic's members matching every clause, in a stable order, and how many match in all. */
export async function listScimUsers(
  db: Db,
  clinicId: string,
  clauses: EqualityClause[],
  page: { startIndex: number; count: number },
): Promise<{ total: number; users: ScimUser[] }> {
  let query = selectScimUsers(db, clinicId);
  for (const { attribute, value } of clauses) {
    const text = String(value);
    if (attribute === "userName") {
      // A member not claimed over SCIM yet is known by their email.
      query = query.where((eb) =>
        eb.or([
          eb("scim_members.user_name", "=", text.toLowerCase()),
          eb.and([eb("scim_members.user_name", "is", null), eb("users.email", "=", text.toLowerCase())]),
        ]),
      );
    } else if (attribute === "externalId") query = query.where("scim_members.external_id", "=", text);
    else if (attribute === "id") query = query.where("users.id", "=", text);
    else query = query.where("users.email", "=", text.toLowerCase());
  }
  const counted = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirstOrThrow();
  const rows = await query
    .orderBy("users.created_at")
    .orderBy("users.id")
    .offset(page.startIndex - 1)
    .limit(page.count)
    .execute();
  return { total: Number(counted.n), users: rows.map(rowToScimUser) };
}

/** The state a PATCH starts from: what the IdP told us, or for an unclaimed member what we know. */
export function stateOfScimUser(user: ScimUser): ScimUserState {
  return {
    userName: user.scim?.userName ?? user.email,
    externalId: user.scim?.externalId ?? null,
    givenName: user.scim?.givenName ?? null,
    familyName: user.scim?.familyName ?? null,
    displayName: user.name,
    formatted: null,
    email: user.email,
    active: user.status !== "deactivated",
  };
}

/** The clinic's members its IdP manages over SCIM (created or claimed, not deleted since). */
export async function listScimManagedUserIds(db: Db, clinicId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("scim_members")
    .select("user_id")
    .where("clinic_id", "=", clinicId)
    .where("deleted_at", "is", null)
    .execute();
  return new Set(rows.map((r) => r.user_id));
}
