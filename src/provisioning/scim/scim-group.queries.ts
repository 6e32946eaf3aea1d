import type { Db } from "../../db/open.js";
import type { EqualityClause } from "./filter.js";

export interface ScimGroup {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: string;
  members: { id: string; email: string }[];
}

export const GROUP_FILTER_ATTRIBUTES = ["displayName", "externalId", "id"] as const;

async function membersOf(db: Db, groupIds: string[]): Promise<Map<string, { id: string; email: string }[]>> {
  const byGroup = new Map<string, { id: string; email: string }[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return byGroup;
  const rows = await db
    .selectFrom("scim_group_members")
    .innerJoin("users", "users.id", "scim_group_members.user_id")
    .select(["scim_group_members.group_id", "users.id", "users.email"])
    .where("scim_group_members.group_id", "in", groupIds)
    .orderBy("users.email")
    .execute();
  for (const r of rows) byGroup.get(r.group_id)?.push({ id: r.id, email: r.email });
  return byGroup;
}

export async function findScimGroup(db: Db, clinicId: string, groupId: string): Promise<ScimGroup | null> {
  const { groups } = await listScimGroups(db, clinicId, [{ attribute: "id", value: groupId }], { startIndex: 1, count: 1 });
  return groups[0] ?? null;
}

export async function listScimGroups(
  db: Db,
  clinicId: string,
  clauses: EqualityClause[],
  page: { startIndex: number; count: number },
): Promise<{ total: number; groups: ScimGroup[] }> {
  let query = db.selectFrom("scim_groups").selectAll().where("clinic_id", "=", clinicId);
  for (const { attribute, value } of clauses) {
    if (attribute === "displayName") query = query.where("display_name", "=", String(value));
    else if (attribute === "externalId") query = query.where("external_id", "=", String(value));
    else query = query.where("id", "=", String(value));
  }
  const counted = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirstOrThrow();
  const rows = await query
    .orderBy("created_at")
    .orderBy("id")
    .offset(page.startIndex - 1)
    .limit(page.count)
    .execute();
  const members = await membersOf(
    db,
    rows.map((r) => r.id),
  );
  return {
    total: Number(counted.n),
    groups: rows.map((r) => ({
      id: r.id,
      displayName: r.display_name,
      externalId: r.external_id,
      createdAt: r.created_at,
      members: members.get(r.id) ?? [],
    })),
  };
}
