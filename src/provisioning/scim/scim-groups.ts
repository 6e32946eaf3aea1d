import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { Db } from "../../db/open.js";
import { newId, nowIso } from "../../ids.js";
import { ok } from "../../result.js";
import { updateMemberWithin } from "../../users/manage-members.js";
import type { EqualityClause } from "./filter.js";
import { readGroupPatch, type PatchOperation } from "./patch.js";
import { findScimAdminGroup } from "./scim-requests.js";
import { ScimRefusal, scimErr, type ScimResult } from "./scim-result.js";
import { scimActor, type ScimCaller } from "./scim-users.js";

export interface ScimGroup {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: string;
  members: { id: string; email: string }[];
}

export interface ScimGroupInput {
  displayName: string;
  externalId: string | null;
  /** Undefined: leave the members as they are. */
  members?: string[] | undefined;
}

export const GROUP_FILTER_ATTRIBUTES = ["displayName", "externalId", "id"] as const;
// A bound on one group's size as one request may set it.
const MAX_MEMBERS_PER_REQUEST = 10_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads a Group resource (POST, PUT); attributes we do not keep are ignored. */
export function parseGroupResource(body: unknown): ScimResult<ScimGroupInput> {
  if (!isObject(body)) return scimErr("scim_invalid_value", "The body must be a SCIM Group object.");
  const key = (name: string) => Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  const displayName = body[key("displayName") ?? ""];
  if (typeof displayName !== "string" || displayName.trim() === "" || displayName.length > 256) {
    return scimErr("scim_invalid_value", "displayName is required (at most 256 characters).");
  }
  const externalId = body[key("externalId") ?? ""] ?? null;
  if (externalId !== null && (typeof externalId !== "string" || externalId.length > 256))
    return scimErr("scim_invalid_value", "externalId must be a string.");
  const rawMembers = body[key("members") ?? ""];
  let members: string[] | undefined;
  if (rawMembers !== undefined && rawMembers !== null) {
    if (!Array.isArray(rawMembers) || rawMembers.length > MAX_MEMBERS_PER_REQUEST)
      return scimErr("scim_invalid_value", "members must be a list.");
    members = [];
    for (const m of rawMembers) {
      if (!isObject(m) || typeof m.value !== "string" || m.value.length > 64)
        return scimErr("scim_invalid_value", "Each member must be an object with the user's id as value.");
      members.push(m.value);
    }
  }
  return ok({ displayName: displayName.trim(), externalId: externalId === "" ? null : (externalId as string | null), members });
}

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

async function inTransaction<T>(db: Db, work: (trx: Db) => Promise<ScimResult<T>>): Promise<ScimResult<T>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await work(trx);
      if (!result.ok) throw new ScimRefusal(result.error, result.detail);
      return result;
    });
  } catch (error) {
    if (error instanceof ScimRefusal) return scimErr(error.code, error.detail);
    if (isUniqueViolation(error)) return scimErr("scim_uniqueness", "Another group of this clinic already has this displayName.");
    throw error;
  }
}

/** Every id must be a member of this clinic the IdP can see: a user of another clinic is never put in a group. */
async function checkMembers(trx: Db, clinicId: string, ids: string[]): Promise<ScimResult<null>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return ok(null);
  const found = await trx
    .selectFrom("memberships")
    .leftJoin("scim_members", "scim_members.user_id", "memberships.user_id")
    .select("memberships.user_id")
    .where("memberships.clinic_id", "=", clinicId)
    .where("memberships.user_id", "in", unique)
    .where("scim_members.deleted_at", "is", null)
    .execute();
  const known = new Set(found.map((r) => r.user_id));
  const missing = unique.find((id) => !known.has(id));
  return missing === undefined ? ok(null) : scimErr("scim_invalid_value", `No user ${missing} in this clinic.`);
}

/**
 * Gives each person the role the admin group says (admin inside it, provider outside), through the same guarded
 * change as Manage Users: the clinic never loses its last active admin. Nothing happens while no group means admin.
 */
async function syncRoles(trx: Db, clinic: Clinic, userIds: Iterable<string>, caller: ScimCaller, now: Date): Promise<ScimResult<null>> {
  const adminGroup = await findScimAdminGroup(trx, clinic.id);
  if (adminGroup === null) return ok(null);
  for (const userId of new Set(userIds)) {
    const user = await trx.selectFrom("users").select("email").where("id", "=", userId).executeTakeFirst();
    if (!user) continue;
    const inAdminGroup = await trx
      .selectFrom("scim_group_members")
      .innerJoin("scim_groups", "scim_groups.id", "scim_group_members.group_id")
      .select("scim_groups.id")
      .where("scim_groups.clinic_id", "=", clinic.id)
      .where("scim_groups.display_name", "=", adminGroup)
      .where("scim_group_members.user_id", "=", userId)
      .executeTakeFirst();
    const changed = await updateMemberWithin(
      trx,
      clinic,
      user.email,
      { role: inAdminGroup ? "admin" : "provider" },
      scimActor(caller),
      now,
    );
    if (!changed.ok && changed.error === "last_admin") {
      return scimErr("scim_last_admin", `${user.email} is the clinic's last active admin: make someone else admin first.`);
    }
  }
  return ok(null);
}

async function setMembers(trx: Db, groupId: string, members: string[]): Promise<void> {
  await trx.deleteFrom("scim_group_members").where("group_id", "=", groupId).execute();
  const unique = [...new Set(members)];
  if (unique.length)
    await trx
      .insertInto("scim_group_members")
      .values(unique.map((user_id) => ({ group_id: groupId, user_id })))
      .execute();
}

async function currentMembers(trx: Db, groupId: string): Promise<string[]> {
  return (await trx.selectFrom("scim_group_members").select("user_id").where("group_id", "=", groupId).execute()).map((r) => r.user_id);
}

async function auditGroup(
  trx: Db,
  clinic: Clinic,
  caller: ScimCaller,
  action: string,
  group: string,
  detail: Record<string, number | string>,
  now: Date,
) {
  await recordAuditEvent(trx, { ...scimActor(caller), clinicId: clinic.id, action, target: group, outcome: "success", detail }, now);
}

async function displayNameTaken(trx: Db, clinicId: string, displayName: string, exceptId: string | null): Promise<boolean> {
  const row = await trx
    .selectFrom("scim_groups")
    .select("id")
    .where("clinic_id", "=", clinicId)
    .where("display_name", "=", displayName)
    .executeTakeFirst();
  return row !== undefined && row.id !== exceptId;
}

export async function createScimGroup(
  db: Db,
  clinic: Clinic,
  input: ScimGroupInput,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<{ id: string }>> {
  return inTransaction(db, async (trx) => {
    if (await displayNameTaken(trx, clinic.id, input.displayName, null))
      return scimErr("scim_uniqueness", "Another group of this clinic already has this displayName.");
    const members = input.members ?? [];
    const checked = await checkMembers(trx, clinic.id, members);
    if (!checked.ok) return checked;
    const id = newId();
    await trx
      .insertInto("scim_groups")
      .values({ id, clinic_id: clinic.id, display_name: input.displayName, external_id: input.externalId, created_at: nowIso(now) })
      .execute();
    await setMembers(trx, id, members);
    await auditGroup(trx, clinic, caller, "scim.group_create", input.displayName, { members: members.length }, now);
    const roles = await syncRoles(trx, clinic, members, caller, now);
    return roles.ok ? ok({ id }) : roles;
  });
}

/** PUT /Groups/:id: the name and, when sent, the whole member list. */
export async function replaceScimGroup(
  db: Db,
  clinic: Clinic,
  groupId: string,
  input: ScimGroupInput,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  return inTransaction(db, async (trx) => {
    const group = await trx
      .selectFrom("scim_groups")
      .selectAll()
      .where("id", "=", groupId)
      .where("clinic_id", "=", clinic.id)
      .executeTakeFirst();
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    return writeGroup(
      trx,
      clinic,
      group.id,
      await currentMembers(trx, group.id),
      { ...input, members: input.members ?? (await currentMembers(trx, group.id)) },
      caller,
      now,
    );
  });
}

async function writeGroup(
  trx: Db,
  clinic: Clinic,
  groupId: string,
  before: string[],
  next: { displayName: string; externalId: string | null; members: string[] },
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  if (await displayNameTaken(trx, clinic.id, next.displayName, groupId))
    return scimErr("scim_uniqueness", "Another group of this clinic already has this displayName.");
  const checked = await checkMembers(trx, clinic.id, next.members);
  if (!checked.ok) return checked;
  await trx
    .updateTable("scim_groups")
    .set({ display_name: next.displayName, external_id: next.externalId })
    .where("id", "=", groupId)
    .execute();
  await setMembers(trx, groupId, next.members);
  const added = next.members.filter((id) => !before.includes(id)).length;
  const removed = before.filter((id) => !next.members.includes(id)).length;
  await auditGroup(trx, clinic, caller, "scim.group_change", next.displayName, { added, removed }, now);
  // A renamed group may have become (or stopped being) the admin group: everyone in it before or after is looked at.
  return syncRoles(trx, clinic, [...before, ...next.members], caller, now);
}

/** PATCH /Groups/:id: Okta's and Entra ID's member pushes and renames, all or nothing. */
export async function patchScimGroup(
  db: Db,
  clinic: Clinic,
  groupId: string,
  operations: PatchOperation[],
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  const changes = readGroupPatch(operations);
  if (!changes.ok) return changes;
  return inTransaction(db, async (trx) => {
    const group = await trx
      .selectFrom("scim_groups")
      .selectAll()
      .where("id", "=", groupId)
      .where("clinic_id", "=", clinic.id)
      .executeTakeFirst();
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    const before = await currentMembers(trx, group.id);
    let members = [...before];
    let displayName = group.display_name;
    let externalId = group.external_id;
    for (const change of changes.value) {
      if (change.displayName !== undefined) displayName = change.displayName;
      if (change.externalId !== undefined) externalId = change.externalId;
      if (change.replaceMembers) members = [...change.replaceMembers];
      members = change.removeMembers === "all" ? [] : members.filter((id) => !(change.removeMembers as string[]).includes(id));
      members = [...new Set([...members, ...change.addMembers])];
    }
    return writeGroup(trx, clinic, group.id, before, { displayName, externalId, members }, caller, now);
  });
}

export async function deleteScimGroup(db: Db, clinic: Clinic, groupId: string, caller: ScimCaller, now: Date): Promise<ScimResult<null>> {
  return inTransaction(db, async (trx) => {
    const group = await trx
      .selectFrom("scim_groups")
      .selectAll()
      .where("id", "=", groupId)
      .where("clinic_id", "=", clinic.id)
      .executeTakeFirst();
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    const before = await currentMembers(trx, group.id);
    await trx.deleteFrom("scim_group_members").where("group_id", "=", group.id).execute();
    await trx.deleteFrom("scim_groups").where("id", "=", group.id).execute();
    await auditGroup(trx, clinic, caller, "scim.group_delete", group.display_name, { members: before.length }, now);
    return syncRoles(trx, clinic, before, caller, now);
  });
}
